"""Actions: add, edit and complete from the failure mode's page."""

import datetime

import pytest

from registry.models import Action
from tests.factories import ActionFactory

pytestmark = pytest.mark.django_db


def test_an_editor_adds_an_action(as_bob, register, bob):
    response = as_bob.post(
        f"/failure-modes/{register.fm.pk}/actions/new/",
        {
            "description": "Enable a standby",
            "owner": "carol",
            "due_date": "2030-01-31",
            "status": "open",
            "notes": "",
        },
    )
    assert response.status_code == 302
    action = Action.objects.get(description="Enable a standby")
    assert action.due_date == datetime.date(2030, 1, 31) and action.updated_by == bob


def test_an_action_needs_a_description(as_bob, register):
    response = as_bob.post(
        f"/failure-modes/{register.fm.pk}/actions/new/", {"description": "", "status": "open"}
    )
    assert response.status_code == 422
    assert b"This field is required." in response.content


def test_an_editor_edits_an_action_and_stale_edits_are_refused(as_bob, register):
    action = ActionFactory(failure_mode=register.fm, description="Old")
    data = {
        "version": action.version,
        "description": "New",
        "owner": "",
        "due_date": "",
        "status": "in_progress",
        "notes": "",
    }
    assert as_bob.get(f"/actions/{action.pk}/edit/").status_code == 200
    assert as_bob.post(f"/actions/{action.pk}/edit/", data).status_code == 302
    action.refresh_from_db()
    assert (action.description, action.version) == ("New", 2)
    response = as_bob.post(f"/actions/{action.pk}/edit/", {**data, "description": "Stale"})
    assert response.status_code == 409
    action.refresh_from_db()
    assert action.description == "New"


def test_completing_an_action_stamps_it(as_bob, register):
    action = ActionFactory(failure_mode=register.fm)
    response = as_bob.post(f"/actions/{action.pk}/complete/", {"version": action.version})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "done" and action.completed_at is not None


def test_completing_a_stale_action_changes_nothing(as_bob, register):
    action = ActionFactory(failure_mode=register.fm)
    action.notes = "changed by someone"
    action.save()
    response = as_bob.post(f"/actions/{action.pk}/complete/", {"version": 1}, follow=True)
    assert b"changed by someone else" in response.content
    action.refresh_from_db()
    assert action.status == "open"


def test_viewers_and_other_teams_cannot_touch_actions(as_victor, as_charlie, register):
    action = ActionFactory(failure_mode=register.fm)
    assert as_victor.post(f"/actions/{action.pk}/complete/", {"version": 1}).status_code == 403
    assert as_victor.get(f"/failure-modes/{register.fm.pk}/actions/new/").status_code == 403
    assert as_charlie.get(f"/actions/{action.pk}/edit/").status_code == 404
    assert as_charlie.post(f"/actions/{action.pk}/complete/", {"version": 1}).status_code == 404
    action.refresh_from_db()
    assert action.status == "open"


def test_a_new_action_due_in_the_past_is_refused_beside_its_date(as_bob, register):
    """Yesterday is refused (it would be overdue at once); nothing is stored."""
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    response = as_bob.post(
        f"/failure-modes/{register.fm.pk}/actions/new/",
        {"description": "Enable a standby", "due_date": yesterday.isoformat(), "status": "open"},
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert f"{yesterday:%Y-%m-%d} is in the past: choose today" in html
    assert 'id="id_due_date_error"' in html
    assert not Action.objects.filter(description="Enable a standby").exists()


def test_an_overdue_action_keeps_its_date_when_edited(as_bob, register):
    """A date that passed since it was set stays; only a new or changed date is checked."""
    action = ActionFactory(failure_mode=register.fm, due_date=datetime.date(2001, 1, 1))
    data = {
        "version": action.version,
        "description": "Still to do",
        "owner": "",
        "due_date": "2001-01-01",
        "status": "in_progress",
        "notes": "",
    }
    assert as_bob.post(f"/actions/{action.pk}/edit/", data).status_code == 302
    response = as_bob.post(
        f"/actions/{action.pk}/edit/", {**data, "version": 2, "due_date": "2001-01-02"}
    )
    assert response.status_code == 422


def test_the_api_refuses_a_past_due_date_with_the_same_message(register, bob):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(bob)
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    response = api.post(
        "/api/v1/actions/",
        {"failure_mode": register.fm.pk, "description": "X", "due_date": yesterday.isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["due_date"] == [
        f"{yesterday:%Y-%m-%d} is in the past: choose today ({datetime.date.today():%Y-%m-%d}) "
        "or a later date, or mark the action done."
    ]
