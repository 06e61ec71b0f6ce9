"""Baselines in a real browser: an owner freezes one, the other owner approves it,
the worksheet changes, and the diff shows the three changes."""

import pytest
from playwright.sync_api import expect

from registry.choices import Role
from registry.models import Baseline, DrStrategy, FailureMode, Tier
from tests.browser.conftest import log_in, screenshot
from tests.factories import (
    ApplicationFactory,
    FailureModeFactory,
    MembershipFactory,
    StepFactory,
    UserFactory,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def app(people):
    MembershipFactory(team=people, user=UserFactory(username="owen"), role=Role.OWNER)
    application = ApplicationFactory(
        team=people,
        name="Order processing",
        tier=Tier.objects.get(level=1),
        dr_strategy=DrStrategy.objects.get(code="warm_standby"),
    )
    step = StepFactory(application=application, order=1, name="Pay")
    for mode, ratings in (("Card declined", (5, 5, 5)), ("Timeout", (4, 2, 2))):
        FailureModeFactory(
            step=step,
            mode=mode,
            severity=ratings[0],
            probability=ratings[1],
            detectability=ratings[2],
        )
    return application


def test_freeze_approve_and_diff_a_baseline(new_page, app):
    page = new_page()
    log_in(page, "alice")
    page.goto(f"/applications/{app.pk}/")
    page.get_by_role("link", name="Baselines").click()
    expect(page.get_by_text("No baseline yet.")).to_be_visible()
    page.get_by_label("Title").fill("Q3 review")
    page.get_by_label("Notes").fill("Approved at the go-live review.")
    page.get_by_role("button", name="Freeze baseline").click()
    expect(page.get_by_text("Froze Rev 1: Q3 review.")).to_be_visible()
    # alice froze it and the team has another owner: she may not approve it.
    page.get_by_role("button", name="Approve Rev 1").click()
    expect(page.get_by_text("another owner approves it: owen")).to_be_visible()
    screenshot(page, "baselines-frozen")

    owen = new_page()
    log_in(owen, "owen")
    owen.goto(f"/applications/{app.pk}/baselines/")
    owen.get_by_role("button", name="Approve Rev 1").click()
    expect(owen.get_by_text("Approved Rev 1.")).to_be_visible()
    baseline = Baseline.objects.get()
    assert baseline.approved_by.username == "owen"
    screenshot(owen, "baselines-approved")

    # The worksheet moves on: a rating raised, a row added, a row deleted.
    card = FailureMode.objects.get(mode="Card declined")
    card.severity = 9
    card.save()
    FailureModeFactory(
        step=card.step, mode="Fraud check slow", severity=3, probability=3, detectability=3
    )
    FailureMode.objects.get(mode="Timeout").delete()

    page.goto(f"/applications/{app.pk}/baselines/")
    page.get_by_role("link", name="Changes since").click()
    expect(page.get_by_role("heading", name="Rev 1 → now")).to_be_visible()
    expect(page.get_by_text("1 added · 1 removed · 1 changed")).to_be_visible()
    rows = page.locator("table.diff tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Card declined")
    expect(rows.nth(0)).to_contain_text("125 → 225")
    expect(rows.nth(1)).to_contain_text("Fraud check slow")
    expect(rows.nth(2)).to_contain_text("Timeout")
    expect(
        page.get_by_text(f"Revision 1, approved by owen on {baseline.approved_at:%Y-%m-%d}")
    ).to_be_visible()
    screenshot(page, "baseline-diff")
