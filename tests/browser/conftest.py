"""Browser tests: Playwright driving Debian's chromium against the live server.

They skip with a reason where /usr/bin/chromium (or Playwright) is missing, and fail
instead when FMEA_REQUIRE_SERVICES=1.
"""

import os
from pathlib import Path

import pytest

from registry.choices import Role
from registry.services.reference_data import load_reference_data
from tests.conftest import require
from tests.factories import MembershipFactory, TeamFactory, UserFactory

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WIDTHS = (1280, 390)
PASSWORD = "password"


@pytest.fixture(scope="module")
def browser():
    require(CHROMIUM.exists(), f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "needs the playwright Python package")
    # Playwright's sync API keeps an event loop in the test's thread; the tests' own ORM
    # calls are still plain synchronous code. Only while the browser runs, so that no
    # other test (or a subprocess it starts) inherits the setting.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def people(transactional_db):
    """Reference data and team A with alice (owner) and bob (editor)."""
    load_reference_data()
    team = TeamFactory(name="Team A", slug="team-a")
    alice = UserFactory(username="alice")
    bob = UserFactory(username="bob")
    MembershipFactory(team=team, user=alice, role=Role.OWNER)
    MembershipFactory(team=team, user=bob, role=Role.EDITOR)
    return team


@pytest.fixture
def new_page(browser, live_server):
    """`new_page()`: a page in a fresh browser context (its own cookies) at 1280 px."""
    contexts = []

    def make(width: int = 1280):
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": 900}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def screenshot(page, name: str) -> None:
    """Full-page screenshots at 1280 and 390 px under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size(original)
