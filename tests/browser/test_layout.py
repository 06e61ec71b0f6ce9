"""Every page at the widths people use (a phone, a 1280 px laptop, a 1440 px screen):
the page never scrolls sideways, the browser console stays free of errors, and the
worksheet keeps each row's identity and scores (Edit, component, failure mode, S, P, D,
RPN, AP, status) in view and uncovered, scrolled or not, while a cell is edited.
Screenshots of every page at every width are saved under test-artifacts/ for CI."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from registry.models import (
    Application,
    BusinessFunction,
    Component,
    FailureMode,
    ReportSchedule,
    Step,
)
from registry.services import baselines
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_pages import demo, demo_pages, log_in_demo  # noqa: F401

pytestmark = pytest.mark.browser

WIDTHS = (390, 1280, 1440)
LAYOUT_SHOTS = SCREENSHOTS / "layout"

# A hand-typed effect as long as the ones users paste in from incident reports.
LONG_EFFECT = (
    "Card payments are refused at checkout while the provider's API times out; "
    "customers retry, some are charged twice, and support receives complaints. " * 5
).strip()

# Each of the first rows' key cells (found by heading) out of the table's visible box or
# covered by another element: ["<row>: <heading> is ..."].
KEY_CELLS_JS = """
() => {
  const KEY = ['Row actions', 'Component', 'Failure mode', 'S', 'P', 'D', 'RPN', 'AP', 'Status'];
  const frame = document.querySelector('.worksheet-scroll').getBoundingClientRect();
  const headings = [...document.querySelectorAll('.worksheet thead th')]
    .map(th => th.textContent.trim());
  const problems = [];
  const rows = [...document.querySelectorAll('.worksheet tbody tr.fm-row')].slice(0, 4);
  for (const row of rows) {
    window.scrollTo(0, row.getBoundingClientRect().top + window.scrollY - 200);
    const name = ((row.querySelector('th a, th input') || {}).textContent || row.id).trim();
    [...row.children].forEach((cell, index) => {
      const heading = headings[index];
      if (!KEY.includes(heading)) return;
      const r = cell.getBoundingClientRect();
      if (r.left < frame.left - 1 || r.right > frame.right + 1) {
        problems.push(`${name}: ${heading} is out of view`);
        return;
      }
      const x = r.left + r.width / 2, y = r.top + Math.min(r.height / 2, 12);
      const top = document.elementFromPoint(x, y);
      if (top && !cell.contains(top)) {
        const what = `${top.tagName.toLowerCase()}.${top.className}`;
        problems.push(`${name}: ${heading} is covered by ${what}`);
      }
    });
  }
  window.scrollTo(0, 0);
  return problems;
}
"""


User = get_user_model()


def every_page() -> dict[str, str]:
    """Every page reachable from the navigation, with the demo's worksheet, detail and
    form pages."""
    app = Application.objects.get(name="Order processing")
    step = Step.objects.get(application=app, name="Pay")
    component = Component.objects.get(name="Orders table")
    function = BusinessFunction.objects.order_by("pk").first()
    failure_mode = FailureMode.objects.filter(step=step).first()
    pages = {
        "dashboard": "/",
        "dashboard-heat-sd": "/?heat=sd",
        "worksheets-needing-attention": "/steps/attention/",
        **demo_pages(),
        "application-edit": f"/applications/{app.pk}/edit/",
        "step-edit": f"/steps/{step.pk}/edit/",
        "step-dependency-new": f"/steps/{step.pk}/dependencies/new/",
        "action-new": f"/failure-modes/{failure_mode.pk}/actions/new/",
        "component-edit": f"/components/{component.pk}/edit/",
        "business-function-new": "/business-functions/new/",
        "business-function-edit": f"/business-functions/{function.pk}/edit/",
        "reports": "/reports/",
        "report-schedule-new": "/reports/schedules/new/",
        "imports": "/imports/",
        "findings": "/findings/",
        "invitations": "/invitations/",
        "baselines": f"/applications/{app.pk}/baselines/",
    }
    # A frozen baseline: its diff against the register as it is now.
    owner = User.objects.get(username="demo")
    baseline = baselines.freeze(application=app, user=owner, title="Layout check")
    pages["baseline-diff"] = f"/baselines/{baseline.pk}/diff/?against=current"
    # A High failure mode still mitigating, with open actions: the widest status card.
    busy = FailureMode.objects.filter(status="mitigating", action_priority="H").first()
    if busy is not None:
        pages["failure-mode-mitigating"] = f"/failure-modes/{busy.pk}/"
    schedule = ReportSchedule.objects.first()
    if schedule is not None:
        pages["report-schedule-edit"] = f"/reports/schedules/{schedule.pk}/edit/"
    return pages


def watch_console(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def overflow(page) -> int:
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_every_page_fits_every_width_without_console_errors(new_page, demo):  # noqa: F811
    """No page is wider than the window at 390, 1280 or 1440 px, and none logs an error."""
    LAYOUT_SHOTS.mkdir(parents=True, exist_ok=True)
    page = new_page()
    errors = watch_console(page)
    log_in_demo(page)
    problems = []
    for name, url in every_page().items():
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            errors.clear()
            response = page.goto(url)
            expected = 404 if name == "not-found" else 200
            assert response.status == expected, url
            page.wait_for_load_state("load")
            if (wider := overflow(page)) > 0:
                problems.append(f"{url} at {width} px: the page is {wider} px too wide")
            # A 404 page is logged as a failed resource by design; anything else counts.
            logged = [e for e in errors if not (expected == 404 and "404" in e)]
            if logged:
                problems.append(f"{url} at {width} px: console error {logged}")
            page.screenshot(path=str(LAYOUT_SHOTS / f"{name}-{width}.png"), full_page=True)
    assert problems == []


@pytest.mark.parametrize("width", [1280, 1440])
def test_the_worksheet_keeps_its_key_columns_in_view(new_page, demo, width):  # noqa: F811
    """Identity and scores stay visible and uncovered: as opened, scrolled to the far
    right (as after a save), and while the last text cell of a row is typed in."""
    step = Step.objects.get(application__name="Order processing", name="Pay")
    FailureMode.objects.filter(step=step).order_by("pk").update(effect=LONG_EFFECT)
    page = new_page(width)
    errors = watch_console(page)
    log_in_demo(page)
    page.goto(f"/steps/{step.pk}/")
    assert overflow(page) <= 0
    assert page.evaluate(KEY_CELLS_JS) == [], "as opened"

    page.locator(".worksheet-scroll").evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    assert page.evaluate(KEY_CELLS_JS) == [], "scrolled to the far right"

    # The long effects, brought beside the frozen columns: three lines each.
    page.locator(".worksheet-scroll").evaluate(
        """box => {
          const heads = [...box.querySelectorAll('thead th')];
          const effect = heads.find(th => th.textContent.trim() === 'Effect');
          const frozen = heads[8].getBoundingClientRect().right - box.getBoundingClientRect().left;
          box.scrollLeft = effect.offsetLeft - frozen;
        }"""
    )
    LAYOUT_SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(LAYOUT_SHOTS / f"worksheet-long-text-{width}.png"))
    assert page.evaluate(KEY_CELLS_JS) == [], "scrolled to the text columns"
    # The whole text opens in place on demand.
    summary = page.locator("tr.fm-row td.text details.clamp summary").first
    clamped = summary.bounding_box()["height"]
    summary.click()
    assert summary.bounding_box()["height"] > 2 * clamped
    summary.click()

    page.locator(".worksheet-scroll").evaluate("box => { box.scrollLeft = 0; }")
    page.locator("tr.fm-row .row-edit").first.click()
    editing = page.locator("tr.editing")
    expect(editing).to_have_count(1)
    detection = editing.locator("input[name=detection_controls]")
    detection.focus()
    detection.press_sequentially(" Alert on 5xx")
    assert page.evaluate(KEY_CELLS_JS) == [], "while typing in the last text cell"
    # The live RPN is one of the cells in view: a new severity shows its RPN there.
    editing.locator("select[name=severity]").select_option("10")
    expect(editing.locator("[id$=-rpn] .rpn-value")).to_have_text(
        str(
            10
            * int(editing.locator("select[name=probability]").input_value())
            * int(editing.locator("select[name=detectability]").input_value())
        )
    )
    LAYOUT_SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(LAYOUT_SHOTS / f"worksheet-editing-{width}.png"))
    assert errors == []


def test_the_sign_in_lockout_page_fits_every_width(new_page, demo):  # noqa: F811
    """The sixth failed sign-in gets the styled 429 page, with its way back."""
    LAYOUT_SHOTS.mkdir(parents=True, exist_ok=True)
    page = new_page()
    for _ in range(6):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("demo")
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many failed sign-ins")
    expect(page.get_by_role("link", name="Back to sign in")).to_be_visible()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert overflow(page) <= 0
        page.screenshot(path=str(LAYOUT_SHOTS / f"sign-in-lockout-{width}.png"), full_page=True)


@pytest.mark.parametrize("name", ["failure-modes", "worksheet"])
def test_a_phone_shows_each_rows_rpn_and_ap_without_scrolling(new_page, demo, name):  # noqa: F811
    """At 390 px the first rows' failure mode, RPN and AP are on screen as the page opens."""
    page = new_page(390)
    log_in_demo(page)
    page.goto(every_page()[name])
    table = page.locator("table").first
    headings = [h.strip(" ▲▼") for h in table.locator("thead th").all_inner_texts()]
    for row in table.locator("tbody tr").all()[:3]:
        cells = row.locator(":scope > td, :scope > th")
        for heading in ("Failure mode", "RPN", "AP"):
            box = cells.nth(headings.index(heading)).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (heading, box)
    LAYOUT_SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(LAYOUT_SHOTS / f"{name}-phone-view.png"))
