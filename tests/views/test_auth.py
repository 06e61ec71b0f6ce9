"""Logging in and out, changing the password, and pages that need a login."""

import pytest

from tests.views.conftest import logged_in

pytestmark = pytest.mark.django_db


def test_it_redirects_anonymous_visitors_to_the_login_page(client):
    """Every register page asks for a login first."""
    for url in ("/", "/applications/", "/failure-modes/", "/components/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_the_login_page_is_in_the_site_style(client):
    """The login form has labelled fields and a CSRF token."""
    response = client.get("/accounts/login/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_username">' in html
    assert "csrfmiddlewaretoken" in html
    assert "Skip to main content" in html


def test_it_logs_in_and_out(client, alice):
    """A good password opens the dashboard; logging out (POST) ends the session."""
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "password"}, follow=True
    )
    assert response.status_code == 200
    assert b"Team A" in response.content
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_a_wrong_password_is_refused_with_a_message(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b"did not match" in response.content


def test_it_changes_the_password(alice):
    """The password change form checks the old password and confirms the change."""
    client = logged_in(alice)
    assert client.get("/accounts/password_change/").status_code == 200
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": "password",
            "new_password1": "a-much-longer-secret-1",
            "new_password2": "a-much-longer-secret-1",
        },
        follow=True,
    )
    assert b"Password changed" in response.content
    alice.refresh_from_db()
    assert alice.check_password("a-much-longer-secret-1")


def test_a_user_without_a_team_is_told_what_to_do(db):
    """Someone in no team sees an explanation, not an error."""
    from tests.factories import UserFactory

    response = logged_in(UserFactory(username="newcomer")).get("/")
    assert response.status_code == 200
    assert b"not in a team yet" in response.content


def test_an_expired_session_sends_htmx_requests_to_the_login_page(client, db):
    """A fragment request without a login redirects the whole page, not the row."""
    response = client.get(
        "/failure-modes/1/row/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/steps/3/?sort=rpn",
    )
    assert response.status_code == 401
    assert response["HX-Redirect"] == "/accounts/login/?next=/steps/3/%3Fsort%3Drpn"
