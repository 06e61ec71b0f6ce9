"""The layout every page shares: accessible structure, navigation, the team switcher,
and the current team kept in the session."""

import pytest

from registry.choices import Role
from tests.factories import MembershipFactory
from tests.views.html_checks import assert_accessible_structure

pytestmark = pytest.mark.django_db


def page_urls(r) -> list[str]:
    return [
        "/",
        "/applications/",
        "/applications/new/",
        f"/applications/{r.app.pk}/",
        f"/applications/{r.app.pk}/edit/",
        f"/applications/{r.app.pk}/steps/new/",
        f"/steps/{r.step.pk}/",
        f"/steps/{r.step.pk}/edit/",
        f"/steps/{r.step.pk}/library/",
        f"/steps/{r.step.pk}/dependencies/new/",
        "/failure-modes/",
        f"/failure-modes/{r.fm.pk}/",
        f"/failure-modes/{r.fm.pk}/edit/",
        f"/failure-modes/{r.fm.pk}/delete/",
        f"/failure-modes/{r.fm.pk}/actions/new/",
        "/components/",
        "/components/new/",
        f"/components/{r.component.pk}/",
        f"/components/{r.component.pk}/edit/",
        "/business-functions/",
        "/business-functions/new/",
        "/accounts/password_change/",
    ]


def test_every_page_has_an_accessible_structure(as_alice, register):
    """Headings in order, labelled fields, CSRF in POST forms, a skip link."""
    for url in page_urls(register):
        response = as_alice.get(url)
        assert response.status_code == 200, url
        try:
            assert_accessible_structure(response.content.decode())
        except AssertionError as error:
            raise AssertionError(f"{url}: {error}") from error


def test_the_navigation_marks_the_current_section(as_alice, register):
    html = as_alice.get("/components/").content.decode()
    assert '<nav class="main-nav" aria-label="Main">' in html
    assert 'href="/components/" aria-current="page"' in html


def test_a_member_of_one_team_sees_no_team_switcher(as_alice, register):
    html = as_alice.get("/").content.decode()
    assert 'name="team"' not in html
    assert "Team A" in html


def test_a_member_of_several_teams_switches_between_them(alice, team_b, register):
    """The switcher lists the user's teams; the choice sticks for the session and every
    page then shows that team's data only."""
    from tests.views.conftest import logged_in

    MembershipFactory(team=team_b, user=alice, role=Role.VIEWER)
    client = logged_in(alice)
    html = client.get("/applications/").content.decode()
    assert 'id="team-switch"' in html
    assert "Order processing" in html and "Secret B app" not in html

    response = client.post("/team/", {"team": team_b.pk, "next": "/applications/"})
    assert response.status_code == 302 and response["Location"] == "/applications/"
    html = client.get("/applications/").content.decode()
    assert "Secret B app" in html and "Order processing" not in html
    # Team A's objects are now another team's: 404, until switching back.
    assert client.get(f"/applications/{register.app.pk}/").status_code == 404
    assert client.get(f"/applications/{register.b_app.pk}/").status_code == 200
    # Alice is a viewer in team B: read-only there.
    assert b"New application" not in client.get("/applications/").content


def test_switching_to_a_team_one_is_not_in_changes_nothing(as_charlie, register, team_a):
    as_charlie.post("/team/", {"team": team_a.pk})
    html = as_charlie.get("/applications/").content.decode()
    assert "Secret B app" in html and "Order processing" not in html


def test_switching_from_an_object_page_goes_to_the_dashboard(alice, team_b, register):
    from tests.views.conftest import logged_in

    MembershipFactory(team=team_b, user=alice, role=Role.VIEWER)
    response = logged_in(alice).post(
        "/team/", {"team": team_b.pk, "next": f"/applications/{register.app.pk}/"}
    )
    assert response["Location"] == "/"


def test_the_404_page_is_in_the_site_style(as_alice, register):
    response = as_alice.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Not found" in html and "skip-link" in html


def test_the_500_page_renders_without_the_database(rf):
    """The server error page needs no query (the database may be the problem)."""
    from registry.views.errors import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert b"Something went wrong" in response.content


def test_a_viewer_gets_a_403_page_for_a_write(as_victor, register):
    response = as_victor.get("/applications/new/")
    assert response.status_code == 403
    assert b"read-only" in response.content
