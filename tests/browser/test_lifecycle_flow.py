"""A risk's lifecycle in a real browser: an editor may not accept a risk, an owner
accepts it with a rationale and an expiry, worse revised ratings are flagged before
saving, and an editor sets a finding aside with a reason and an expiry."""

import datetime

import pytest
from playwright.sync_api import expect

from registry.analysis import rollups
from registry.models import FailureMode, FindingSuppression
from tests.browser.conftest import SCREENSHOTS, log_in, screenshot
from tests.factories import FailureModeFactory, StepFactory

pytestmark = pytest.mark.browser
IN_90_DAYS = (datetime.date.today() + datetime.timedelta(days=90)).isoformat()


@pytest.fixture
def risks(people):
    from registry.models import DrStrategy, Tier
    from tests.factories import ApplicationFactory

    app = ApplicationFactory(
        team=people,
        name="Order processing",
        tier=Tier.objects.get(level=1),
        dr_strategy=DrStrategy.objects.get(code="warm_standby"),
    )
    step = StepFactory(application=app, order=1, name="Pay")
    severe = FailureModeFactory(
        step=step, mode="Ledger lost", severity=10, probability=8, detectability=9
    )
    throttled = FailureModeFactory(
        step=step, mode="Cart table throttles", severity=8, probability=8, detectability=5
    )
    rollups.recompute_team(people.pk)
    return step, severe, throttled


def accept(page, failure_mode: FailureMode) -> None:
    page.goto(f"/failure-modes/{failure_mode.pk}/edit/")
    page.get_by_label("Status").select_option("accepted")
    page.get_by_label("Acceptance rationale").fill(
        "Budgeted: the ledger moves to the replicated store in Q3."
    )
    page.get_by_label("Acceptance expires on").fill(IN_90_DAYS)
    page.get_by_role("button", name="Save").click()


def test_accept_a_risk_and_suppress_a_finding(new_page, risks):
    step, severe, throttled = risks

    editor = new_page()
    log_in(editor, "bob")
    accept(editor, severe)
    expect(editor.get_by_text("Only a team owner can accept a risk.").first).to_be_visible()
    screenshot(editor, "lifecycle-accept-refused-for-editor")
    assert FailureMode.objects.get(pk=severe.pk).status == "open"

    owner = new_page()
    log_in(owner, "alice")
    accept(owner, severe)
    expect(owner.get_by_role("heading", level=1)).to_have_text("Ledger lost")
    expect(owner.locator("#acceptance")).to_contain_text("by alice on")
    expect(owner.locator("#acceptance")).to_contain_text(f"until {IN_90_DAYS}")
    screenshot(owner, "lifecycle-accepted-risk")

    # Worse revised ratings: warned while choosing, before saving.
    owner.goto(f"/steps/{step.pk}/")
    row = owner.locator(f"#fm-{throttled.pk}")
    row.get_by_role("link", name="Edit").click()
    editing = owner.locator(f"tr#fm-{throttled.pk}.editing")
    for name, value in (
        ("Revised severity", "9"),
        ("Revised probability", "8"),
        ("Revised detectability", "5"),
    ):
        editing.get_by_label(name, exact=True).select_option(value)
    # Each choice asks for a preview that replaces the warning: wait for the last one.
    owner.wait_for_load_state("networkidle")
    expect(editing.locator(".rating-warnings")).to_contain_text(
        "Revised severity 9 is worse than the initial 8."
    )
    # The warning sits at the row's right end, beyond the worksheet's horizontal scroll.
    editing.locator(".rating-warnings").scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    owner.screenshot(path=str(SCREENSHOTS / "lifecycle-worse-rating-warning-cell.png"))
    editing.get_by_role("button", name="Save").click()
    expect(owner.locator(f"tr#fm-{throttled.pk}:not(.editing) .badge-warn")).to_have_text(
        "Worse: Revised severity 9 is worse than the initial 8."
    )
    expect(owner.locator("#worksheet-status")).to_contain_text("Flagged: Revised severity 9")
    owner.locator(f"tr#fm-{throttled.pk} .badge-warn").scroll_into_view_if_needed()
    owner.screenshot(path=str(SCREENSHOTS / "lifecycle-worse-rating-saved-mark.png"))

    # The editor sets the throttling finding aside.
    rollups.recompute_team(step.application.team_id)
    finding = throttled.findings.get(kind="unmitigated_high_risk")
    editor.goto("/findings/")
    item = editor.locator(f"#finding-{finding.pk}")
    item.get_by_text("Set aside…").click()
    item.get_by_label("Decision").select_option("accepted")
    item.get_by_label("Why").fill("Known peak-hour limit; capacity is bought in March.")
    item.get_by_label("Until (at most a year)").fill(IN_90_DAYS)
    screenshot(editor, "lifecycle-suppress-form")
    item.get_by_role("button", name="Suppress").click()
    aside = editor.locator("#suppressed")
    expect(aside).to_contain_text("Known peak-hour limit; capacity is bought in March.")
    expect(aside).to_contain_text(IN_90_DAYS)
    expect(editor.locator(f"li#finding-{finding.pk}")).to_have_count(0)  # left the count
    screenshot(editor, "lifecycle-findings-set-aside")
    suppression = FindingSuppression.objects.get()
    assert (suppression.finding_id, suppression.created_by.username) == (finding.pk, "bob")
