"""Small presentation helpers of the register's templates."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from registry.analysis.resilience import assumed_inputs
from registry.choices import ActionPriority

register = template.Library()


@register.filter
def marked_field_count(form) -> int:
    """How many fields carry an error beside them: a form-level error marks none."""
    return sum(1 for name in form.errors if name != NON_FIELD_ERRORS)


@register.filter
def duration(seconds: int | None) -> str:
    """7200 → "2 h", 30 → "30 s", 172800 → "2 d", 5400 → "1 h 30 min"."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        minutes, rest = divmod(seconds, 60)
        return f"{minutes} min" + (f" {rest} s" if rest else "")
    if seconds < 2 * 86400 or seconds % 86400:
        hours, rest = divmod(seconds, 3600)
        return f"{hours} h" + (f" {rest // 60} min" if rest // 60 else "")
    return f"{seconds // 86400} d"


@register.filter
def recovery_assumptions(rows) -> list[str]:
    """The assumed inputs behind a step's recovery table."""
    return assumed_inputs(rows)


@register.filter
def percent(value: Decimal | float | None) -> str:
    """99.9990 → "99.999 %"."""
    if value is None:
        return "—"
    number = Decimal(str(value)).normalize()
    return f"{number:f} %"


@register.filter
def ap_label(code: str | None) -> str:
    return ActionPriority(code).label if code else "not rated"


@register.simple_tag
def rating_text(scales: dict, scale: str, value: int | None) -> str:
    """ "Very high: A business function is unavailable …" for a tooltip."""
    row = scales.get((scale, value)) if scales and value else None
    return f"{row.label}: {row.description}" if row else ""


@register.simple_tag(takes_context=True)
def sort_header(context, key: str, label: str, title: str = "", numeric: bool = False) -> str:
    """A sortable column heading: a link that sorts by the column (again: reversed), with
    aria-sort on the current one."""
    request = context["request"]
    current = context.get("sort", "")
    query = request.GET.copy()
    query.pop("page", None)
    if current == key:
        state, query["sort"], arrow = "ascending", f"-{key}", "▲"
    elif current == f"-{key}":
        state, query["sort"], arrow = "descending", key, "▼"
    else:
        state, query["sort"], arrow = "", f"-{key}" if numeric else key, ""
    heading = format_html('<abbr title="{}">{}</abbr>', title, label) if title else label
    return format_html(
        '<th scope="col"{}{}><a href="?{}">{}<span class="sort-arrow" aria-hidden="true">{}'
        "</span></a></th>",
        format_html(' aria-sort="{}"', state) if state else "",
        mark_safe(' class="num"') if numeric else "",
        query.urlencode(),
        heading,
        arrow,
    )


@register.simple_tag
def rpn(value: int | None, threshold: int | None = None) -> str:
    """An RPN, with a visible "▲ over N" when it is above the tier's threshold."""
    if not value:
        return mark_safe('<span class="muted">—</span>')
    over = ""
    if threshold and value > threshold:
        over = format_html(
            ' <span class="over" title="Above the tier\'s RPN threshold of {}">'
            '<span aria-hidden="true">▲</span> over {}</span>',
            threshold,
            threshold,
        )
    return format_html('<span class="rpn-value">{}</span>{}', value, over)


@register.simple_tag
def ap_badge(code: str | None, open_actions: int = 0, long: bool = False) -> str:
    """The action priority as a coloured letter with its word for screen readers;
    "(H)" while a High failure mode still has open actions."""
    if not code:
        return mark_safe('<span class="muted" title="Not rated">—</span>')
    label = ActionPriority(code).label
    if code == ActionPriority.HIGH and open_actions:
        noun = "action" if open_actions == 1 else "actions"
        badge = format_html(
            '<span class="ap ap-H ap-open" title="High action priority; {} {} still open">'
            '(H)<span class="visually-hidden"> High, actions open</span></span>',
            open_actions,
            noun,
        )
    else:
        badge = format_html(
            '<span class="ap ap-{}" title="{} action priority">{}'
            '<span class="visually-hidden"> {}</span></span>',
            code,
            label,
            code,
            label,
        )
    if long:
        return format_html('{} <span class="ap-word">{}</span>', badge, label)
    return badge


@register.simple_tag
def evidence_badge(evidence, scale: str) -> dict | None:
    """What a worksheet cell shows beside a rating its incidents say is worse (None
    where they agree, or where there are none)."""
    if evidence is None:
        return None
    observed, rated = evidence.observed(scale), evidence.rated(scale)
    if observed is None or observed <= rated:
        return None
    return {
        "observed": observed,
        "contradicted": evidence.contradicts(scale),
        "title": f"{evidence.incidents} incident{'s' if evidence.incidents != 1 else ''} in "
        f"the evidence window suggest {scale} {observed}",
    }
