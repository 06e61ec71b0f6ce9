"""Every page of the demo register in a real browser, at 1280 and 390 px: it renders,
nothing overflows the phone width, and a screenshot is saved to look at."""

import pytest
from playwright.sync_api import expect

from registry.analysis.findings import refresh_findings
from registry.models import Action, Application, Component, FailureMode, Step
from registry.services.demo import DEMO_PASSWORD, seed_demo
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(transactional_db):
    from registry.services.reference_data import load_reference_data

    load_reference_data()
    team = seed_demo()
    refresh_findings(team.pk)  # as the worker does after a change
    return team


def log_in_demo(page) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def test_the_dashboard_shows_the_heat_map_and_the_pareto_chart(new_page, demo):
    page = new_page()
    log_in_demo(page)
    heat_map = page.locator(".heat-map svg")
    expect(heat_map).to_be_visible()
    expect(heat_map.locator("rect")).to_have_count(100)
    pareto = page.locator(".pareto svg")
    expect(pareto).to_be_visible()
    expect(pareto.locator("rect")).to_have_count(FailureMode.objects.count())
    expect(page.locator(".findings li").first).to_be_visible()
    screenshot(page, "dashboard")
    # A heat-map cell leads to the failure modes with that severity and probability.
    target = FailureMode.objects.order_by("-rpn").first()
    page.locator(
        f"a[href='/failure-modes/?severity={target.severity}&probability={target.probability}']"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Failure modes")
    expect(page.get_by_role("link", name=target.mode)).to_be_visible()


def demo_pages() -> dict[str, str]:
    app = Application.objects.get(name="Order processing")
    step = Step.objects.get(application=app, name="Pay")
    failure_mode = FailureMode.objects.filter(step=step).order_by("-rpn").first()
    component = Component.objects.get(name="Orders table")
    action = Action.objects.first()
    return {
        "applications": "/applications/",
        "application-new": "/applications/new/",
        "application-detail": f"/applications/{app.pk}/",
        "step-new": f"/applications/{app.pk}/steps/new/",
        "worksheet": f"/steps/{step.pk}/",
        "library-all": f"/steps/{step.pk}/library/",
        "failure-modes": "/failure-modes/",
        "failure-mode-detail": f"/failure-modes/{failure_mode.pk}/",
        "failure-mode-edit": f"/failure-modes/{failure_mode.pk}/edit/",
        "action-edit": f"/actions/{action.pk}/edit/",
        "components": "/components/",
        "component-detail": f"/components/{component.pk}/",
        "component-new": "/components/new/",
        "business-functions": "/business-functions/",
        "password-change": "/accounts/password_change/",
        "not-found": "/no-such-page/",
    }


def test_every_page_renders_at_both_widths_without_overflow(new_page, demo):
    page = new_page()
    log_in_demo(page)
    for name, url in demo_pages().items():
        response = page.goto(url)
        assert response.status == (404 if name == "not-found" else 200), url
        expect(page.locator("h1")).to_have_count(1)
        page.set_viewport_size({"width": 390, "height": 900})
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{url} is {overflow}px wider than a 390 px phone"
        page.set_viewport_size({"width": 1280, "height": 900})
        screenshot(page, name)
