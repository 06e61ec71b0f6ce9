"""Error pages with DEBUG off look like the app: the navigation for a signed-in user,
what happened and what to do; the sign-in lockout says when to try again."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NAV = 'aria-label="Main"'


def test_the_404_page_keeps_the_navigation(as_alice, register):
    response = as_alice.get("/applications/999999/")
    html = response.content.decode()
    assert response.status_code == 404
    assert NAV in html and 'href="/applications/"' in html
    assert "Back to the register" in html


def test_the_403_page_keeps_the_navigation_and_says_why(as_victor, register):
    response = as_victor.get("/applications/new/")
    html = response.content.decode()
    assert response.status_code == 403
    assert NAV in html
    assert "Your role in this team is read-only." in html
    assert "Ask an owner of your team for the editor role" in html


def test_the_500_page_offers_the_main_pages(rf):
    from registry.views.errors import server_error

    html = server_error(rf.get("/applications/")).content.decode()
    assert NAV in html and 'href="/failure-modes/"' in html


def test_the_sign_in_lockout_is_a_styled_page_saying_when_to_try_again(client, settings):
    """Five failures lock the pair for 900 s: the page says 15 minutes and links back."""
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 900
    UserFactory(username="alice", password="correct horse battery")
    for _ in range(5):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    html = response.content.decode()
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert response["Content-Type"].startswith("text/html")
    assert "Too many failed sign-ins" in html and "skip-link" in html
    assert "paused for 15 minutes" in html and "Try again at" in html
    assert 'href="/accounts/login/"' in html
