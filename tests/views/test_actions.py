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
