"""Steps and dependencies: create and edit a step, record its review, add and remove
what it needs."""

import pytest

from registry.models import Dependency, Step
from tests.factories import ComponentFactory, DependencyFactory

pytestmark = pytest.mark.django_db


def test_an_editor_adds_a_step_with_the_next_order(as_bob, register):
    assert b'value="2"' in as_bob.get(f"/applications/{register.app.pk}/steps/new/").content
    response = as_bob.post(
        f"/applications/{register.app.pk}/steps/new/",
        {
            "order": "2",
            "name": "Confirm",
            "description": "",
            "rto_seconds": "600",
            "rpo_seconds": "",
            "availability_target": "",
        },
    )
    step = Step.objects.get(name="Confirm")
    assert response.status_code == 302 and response["Location"] == f"/steps/{step.pk}/"
    assert step.application == register.app and step.rto_seconds == 600


def test_a_step_looser_than_its_tier_needs_a_reason(as_bob, register):
    response = as_bob.post(
        f"/applications/{register.app.pk}/steps/new/",
        {"order": "2", "name": "Slow", "rto_seconds": "99999"},
    )
    assert response.status_code == 422
    assert b"write down why the step needs less" in response.content
    assert not Step.objects.filter(name="Slow").exists()


def test_two_steps_cannot_share_an_order(as_bob, register):
    response = as_bob.post(
        f"/applications/{register.app.pk}/steps/new/", {"order": "1", "name": "Twin"}
    )
    assert response.status_code == 422
    assert not Step.objects.filter(name="Twin").exists()


def test_an_editor_renames_a_step(as_bob, register):
    response = as_bob.post(f"/steps/{register.step.pk}/edit/", {"order": "1", "name": "Pay now"})
    assert response.status_code == 302
    register.step.refresh_from_db()
    assert register.step.name == "Pay now"


def test_recording_a_review(as_bob, register, bob):
    response = as_bob.post(f"/steps/{register.step.pk}/review/")
    assert response.status_code == 302
    register.step.refresh_from_db()
    assert register.step.last_reviewed_by == bob


def test_adding_and_removing_a_step_dependency(as_bob, register):
    queue = ComponentFactory(team=register.app.team, name="Events queue", kind="queue")
    response = as_bob.post(
        f"/steps/{register.step.pk}/dependencies/new/", {"component": queue.pk, "hard": "False"}
    )
    assert response.status_code == 302
    dependency = Dependency.objects.get(step=register.step, component=queue)
    assert dependency.hard is False
    again = as_bob.post(
        f"/steps/{register.step.pk}/dependencies/new/", {"component": queue.pk, "hard": "True"}
    )
    assert again.status_code == 422 and b"already depends" in again.content
    assert as_bob.post(f"/dependencies/{dependency.pk}/delete/").status_code == 302
    assert not Dependency.objects.filter(pk=dependency.pk).exists()


def test_a_component_dependency_loop_is_refused(as_bob, register):
    other = ComponentFactory(team=register.app.team, name="Cache")
    DependencyFactory(step=None, dependant_component=register.component, component=other)
    response = as_bob.post(
        f"/components/{other.pk}/dependencies/new/",
        {"component": register.component.pk, "hard": "True"},
    )
    assert response.status_code == 422 and b"a loop" in response.content


def test_dependencies_of_another_team_are_out_of_reach(as_bob, as_victor, register):
    response = as_bob.post(
        f"/steps/{register.step.pk}/dependencies/new/",
        {"component": register.b_component.pk, "hard": "True"},
    )
    assert response.status_code == 422
    assert as_bob.post(f"/steps/{register.b_step.pk}/dependencies/new/").status_code == 404
    dependency = Dependency.objects.get(step=register.step)
    assert as_victor.post(f"/dependencies/{dependency.pk}/delete/").status_code == 403
    assert Dependency.objects.filter(pk=dependency.pk).exists()
