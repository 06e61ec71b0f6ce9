"""The worksheet in a real browser: log in, create an application and a step, add a
failure mode, bad input, an edit conflict between two people, add from the library."""

import pytest
from playwright.sync_api import expect

from registry.models import Application, FailureMode, Step
from tests.browser.conftest import log_in, screenshot
from tests.factories import ComponentFactory, FailureModeFactory, StepFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def step(people):
    from registry.models import DrStrategy, Tier
    from tests.factories import ApplicationFactory

    app = ApplicationFactory(
        team=people,
        name="Order processing",
        tier=Tier.objects.get(level=1),
        dr_strategy=DrStrategy.objects.get(code="warm_standby"),
    )
    return StepFactory(application=app, order=1, name="Pay")


def add_row(page, mode: str, ratings: tuple[str, str, str]):
    page.get_by_role("link", name="Add failure mode").click()
    row = page.locator("tr.editing")
    expect(row).to_have_count(1)
    row.get_by_label("Failure mode").fill(mode)
    for name, value in zip(("Severity", "Probability", "Detectability"), ratings, strict=True):
        row.get_by_label(name, exact=True).select_option(value)
    return row


def test_log_in_and_create_an_application_and_a_step(new_page, people):
    page = new_page()
    page.goto("/")
    expect(page).to_have_url("/accounts/login/?next=/")
    screenshot(page, "login")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("did not match")
    log_in(page, "alice")
    expect(page.get_by_role("heading", level=1)).to_have_text("Team A")

    page.get_by_role("link", name="Applications", exact=True).click()
    expect(page.get_by_text("No applications yet")).to_be_visible()
    page.get_by_role("link", name="Add the first application").click()
    page.get_by_label("Name").fill("Payments gateway")
    page.get_by_label("Tier").select_option(label="Tier 1 - mission critical")
    page.get_by_label("DR strategy").select_option(label="Warm standby")
    page.get_by_label("eu-west-1 — ").check()
    screenshot(page, "application-form")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payments gateway")
    expect(page.get_by_text("Saved “Payments gateway”.")).to_be_visible()

    page.get_by_role("link", name="Add the first step").click()
    page.get_by_label("Name").fill("Authorise payment")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("1. Authorise payment")
    expect(page.get_by_text("No failure modes yet")).to_be_visible()
    app = Application.objects.get(name="Payments gateway")
    assert Step.objects.get(application=app).name == "Authorise payment"
    assert list(app.regions.values_list("code", flat=True)) == ["eu-west-1"]


def test_add_a_failure_mode_and_see_its_rpn_and_ap(new_page, step):
    page = new_page()
    log_in(page, "bob")
    page.goto(f"/steps/{step.pk}/")
    row = add_row(page, "Card processor times out", ("8", "5", "3"))
    # The preview updates before saving, computed from the ratings on screen.
    expect(row.locator("[id$='-rpn']").first).to_contain_text("120")
    expect(row.locator("[id$='-ap']").first).to_contain_text("M")
    screenshot(page, "worksheet-new-row")
    row.get_by_label("Failure mode").press("Enter")
    saved = page.locator("tr.fm-row", has_text="Card processor times out")
    expect(saved).not_to_have_class("editing")
    expect(saved.locator(".rpn-value")).to_have_text("120")
    expect(saved.locator(".ap")).to_contain_text("M")
    expect(saved).to_have_class("fm-row over-threshold")  # 120 > tier 1's threshold of 100
    expect(page.locator("#worksheet-status")).to_contain_text("Saved")
    stored = FailureMode.objects.get(mode="Card processor times out")
    assert (stored.rpn, stored.action_priority, stored.step_id) == (120, "M", step.pk)


def test_the_keyboard_moves_across_cells_and_escape_cancels(new_page, step):
    FailureModeFactory(step=step, mode="Existing row")
    page = new_page()
    log_in(page, "bob")
    page.goto(f"/steps/{step.pk}/")
    page.get_by_role("link", name="Edit Existing row").click()
    mode = page.locator("tr.editing").get_by_label("Failure mode")
    expect(mode).to_be_focused()
    page.keyboard.press("Tab")
    # The scores follow the row's identity, before the text columns.
    expect(page.locator("tr.editing").get_by_label("Severity", exact=True)).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("tr.editing")).to_have_count(0)


def test_an_invalid_value_shows_an_error_and_saves_nothing(new_page, step):
    failure_mode = FailureModeFactory(step=step, mode="Cache stampede", severity=6)
    page = new_page()
    log_in(page, "bob")
    page.goto(f"/steps/{step.pk}/")
    page.get_by_role("link", name="Edit Cache stampede").click()
    row = page.locator("tr.editing")
    row.get_by_label("Effect").fill("Checkout slows down")
    # A rating outside 1–10, as a hand-crafted request would post it.
    row.get_by_label("Severity", exact=True).evaluate(
        "select => { select.add(new Option('11', '11')); select.value = '11'; }"
    )
    row.get_by_label("Failure mode").press("Enter")
    error = page.locator(f"#fm-{failure_mode.pk}-severity_error")
    expect(error).to_have_text("Choose a rating from 1 to 10.")
    expect(page.get_by_role("alert")).to_contain_text("Not saved")
    expect(page.locator("tr.editing").get_by_label("Effect")).to_have_value("Checkout slows down")
    screenshot(page, "worksheet-invalid")
    failure_mode.refresh_from_db()
    assert (failure_mode.severity, failure_mode.version, failure_mode.effect) == (
        6,
        1,
        "Users cannot complete the step",
    )


def test_an_edit_conflict_between_two_people_overwrites_nothing(new_page, step):
    failure_mode = FailureModeFactory(step=step, mode="Queue backlog", severity=5, probability=5)
    alice_page, bob_page = new_page(), new_page()
    log_in(alice_page, "alice")
    log_in(bob_page, "bob")
    for page in (alice_page, bob_page):
        page.goto(f"/steps/{step.pk}/")
        page.get_by_role("link", name="Edit Queue backlog").click()
        expect(page.locator("tr.editing")).to_have_count(1)

    alice_row = alice_page.locator("tr.editing")
    alice_row.get_by_label("Severity", exact=True).select_option("9")
    alice_row.get_by_role("button", name="Save").click()
    expect(alice_page.locator("tr.editing")).to_have_count(0)

    bob_row = bob_page.locator("tr.editing")
    bob_row.get_by_label("Probability", exact=True).select_option("2")
    bob_row.get_by_role("button", name="Save").click()
    alert = bob_page.get_by_role("alert")
    expect(alert).to_contain_text("someone else changed this")
    expect(alert).to_contain_text("alice saved version 2")
    expect(alert).to_contain_text("Severity")
    screenshot(bob_page, "worksheet-conflict")

    failure_mode.refresh_from_db()
    assert (failure_mode.severity, failure_mode.probability, failure_mode.version) == (9, 5, 2)
    bob_page.get_by_role("button", name="Reload the row with their values").click()
    reloaded = bob_page.locator(f"#fm-{failure_mode.pk}")
    expect(reloaded).not_to_have_class("editing")
    expect(reloaded.locator("td.num").first).to_have_text("9")


def test_add_from_the_library(new_page, step):
    ComponentFactory(team=step.application.team, name="Orders table", kind="database")
    page = new_page()
    log_in(page, "bob")
    page.goto(f"/steps/{step.pk}/")
    page.get_by_role("link", name="Add from library").click()
    page.get_by_label("Component", exact=True).select_option(label="Orders table (Database)")
    page.get_by_role("button", name="Show templates").click()
    expect(page.get_by_text("Templates for Orders table (Database)")).to_be_visible()
    page.get_by_label("Primary database instance fails").check()
    page.get_by_label("Replication lag exceeds the RPO").check()
    screenshot(page, "library")
    page.get_by_role("button", name="Add the ticked failure modes").click()
    expect(page.get_by_text("Added 2 failure modes from the library.")).to_be_visible()
    row = page.locator("tr.fm-row", has_text="Primary database instance fails")
    expect(row).to_contain_text("Orders table")
    expect(row.locator(".rpn-value")).to_have_text("56")  # 7 × 4 × 2, the suggested ratings
    assert FailureMode.objects.filter(step=step).count() == 2


def test_a_cancelled_edit_does_not_say_saved(new_page, step):
    """Change S (the preview shows the new RPN), press Esc: the row shows its stored
    RPN again and the status line stays empty."""
    FailureModeFactory(step=step, mode="Existing row", severity=7, probability=4, detectability=2)
    page = new_page()
    log_in(page, "bob")
    page.goto(f"/steps/{step.pk}/")
    page.get_by_role("link", name="Edit Existing row").click()
    row = page.locator("tr.editing")
    row.get_by_label("Severity", exact=True).select_option("9")
    expect(row.locator("[id$='-rpn'] .rpn-value")).to_have_text("72")  # 9 × 4 × 2
    row.get_by_label("Failure mode").press("Escape")
    shown = page.locator("tr.fm-row", has_text="Existing row")
    expect(shown.locator(".rpn-value")).to_have_text("56")  # 7 × 4 × 2, as stored
    expect(page.locator("#worksheet-status")).to_be_empty()


def test_a_field_error_starts_with_its_icon_on_the_same_line(new_page, people):
    """The ⚠ sits before the message, not on a line of its own above it."""
    page = new_page()
    log_in(page, "bob")
    page.goto("/business-functions/new/")
    page.get_by_role("button", name="Save").click()
    error = page.locator(".field-error").first
    expect(error).to_be_visible()
    heights = error.evaluate(
        "e => [e, e.firstElementChild].map(x => x.getBoundingClientRect().height)"
    )
    assert heights[0] <= heights[1] + 1, f"error box {heights[0]} px, its message {heights[1]} px"
