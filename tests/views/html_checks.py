"""Structural checks of rendered pages: headings in order, labels on inputs, CSRF tokens
in every POST form. A small HTML parser, no browser needed."""

from __future__ import annotations

from html.parser import HTMLParser

FIELDS = {"input", "select", "textarea"}
UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class PageStructure(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.labels: set[str] = set()
        self.fields: list[dict] = []
        self.forms: list[dict] = []
        self.label_depth = 0
        self.in_template = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        attributes = dict(attrs)
        if tag == "template":
            self.in_template += 1
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"} and not self.in_template:
            self.headings.append(int(tag[1]))
        if tag == "label":
            self.label_depth += 1
            if attributes.get("for"):
                self.labels.add(attributes["for"])
        if tag == "form":
            self.forms.append(
                {"method": (attributes.get("method") or "get").lower(), "csrf": False}
            )
        if tag in FIELDS:
            if attributes.get("name") == "csrfmiddlewaretoken" and self.forms:
                self.forms[-1]["csrf"] = True
            if attributes.get("type") not in UNLABELLED_TYPES:
                self.fields.append({**attributes, "_wrapped": self.label_depth > 0, "_tag": tag})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.label_depth -= 1
        if tag == "template":
            self.in_template -= 1


def parse(html: str) -> PageStructure:
    structure = PageStructure()
    structure.feed(html)
    return structure


def assert_accessible_structure(html: str) -> None:
    """One h1 first, no skipped heading level, every field labelled, CSRF in POST forms."""
    page = parse(html)
    assert page.headings, "the page has no headings"
    assert page.headings[0] == 1 and page.headings.count(1) == 1, page.headings
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        assert after <= before + 1, f"heading level jumps from h{before} to h{after}"
    for field in page.fields:
        labelled = (
            field["_wrapped"]
            or field.get("id") in page.labels
            or field.get("aria-label")
            or field.get("aria-labelledby")
        )
        assert labelled, f"unlabelled {field['_tag']} {field.get('name')!r}"
    for form in page.forms:
        if form["method"] == "post":
            assert form["csrf"], "a POST form without a CSRF token"
    assert 'class="skip-link" href="#main"' in html
    assert 'id="main"' in html
