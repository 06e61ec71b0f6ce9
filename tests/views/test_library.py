"""Add from library: templates for the component's kind, added with their ratings."""

import pytest

from registry.models import FailureMode, FailureModeTemplate

pytestmark = pytest.mark.django_db


def test_it_lists_the_templates_for_the_components_kind(as_bob, register):
    """A database component: database templates and those for any component."""
    url = f"/steps/{register.step.pk}/library/"
    html = as_bob.get(url, {"component": register.component.pk}).content.decode()
    assert "Primary database instance fails" in html  # database
    assert "Region outage" in html  # any
    queue_only = FailureModeTemplate.objects.filter(component_kind="queue").first()
    assert queue_only is not None and queue_only.mode not in html
    assert "Templates for Orders table (Database)" in html


def test_without_a_component_it_lists_every_template(as_bob, register):
    html = as_bob.get(f"/steps/{register.step.pk}/library/").content.decode()
    assert html.count('name="templates"') == FailureModeTemplate.objects.count()


def test_adding_templates_creates_failure_modes_with_suggested_ratings(as_bob, register, bob):
    template = FailureModeTemplate.objects.get(mode="Primary database instance fails")
    response = as_bob.post(
        f"/steps/{register.step.pk}/library/",
        {"component": register.component.pk, "templates": [template.pk]},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/steps/{register.step.pk}/"
    created = FailureMode.objects.get(step=register.step, mode=template.mode)
    assert (created.severity, created.probability, created.detectability) == (
        template.severity,
        template.probability,
        template.detectability,
    )
    assert created.component == register.component and created.created_by == bob
    assert created.failure_category == template.failure_category


def test_adding_nothing_is_an_error(as_bob, register):
    response = as_bob.post(
        f"/steps/{register.step.pk}/library/", {"component": register.component.pk}
    )
    assert response.status_code == 422
    assert b"Tick at least one failure mode" in response.content
    assert FailureMode.objects.filter(step=register.step).count() == 1


def test_a_viewer_cannot_use_the_library(as_victor, register):
    assert as_victor.get(f"/steps/{register.step.pk}/library/").status_code == 403


def test_another_teams_step_or_component_is_refused(as_bob, register):
    assert as_bob.get(f"/steps/{register.b_step.pk}/library/").status_code == 404
    template = FailureModeTemplate.objects.first()
    response = as_bob.post(
        f"/steps/{register.step.pk}/library/",
        {"component": register.b_component.pk, "templates": [template.pk]},
    )
    assert response.status_code == 422
    assert FailureMode.objects.filter(step=register.step).count() == 1


def test_the_library_page_makes_a_fixed_number_of_queries(as_bob, register, fixed_queries):
    from tests.factories import ComponentFactory

    def grow():
        for _ in range(29):
            ComponentFactory(team=register.app.team)

    assert fixed_queries(as_bob, f"/steps/{register.step.pk}/library/", grow) <= 10


def test_adding_a_template_the_step_already_has_is_refused(as_bob, register):
    """Twice the same template for the same component: the second time is a form error
    naming it, and nothing is added."""
    template = FailureModeTemplate.objects.get(mode="Primary database instance fails")
    data = {"component": register.component.pk, "templates": [template.pk]}
    assert as_bob.post(f"/steps/{register.step.pk}/library/", data).status_code == 302
    response = as_bob.post(f"/steps/{register.step.pk}/library/", data)
    assert response.status_code == 422
    assert (
        "Primary database instance fails: This step already has this failure mode"
        in response.content.decode()
    )
    assert FailureMode.objects.filter(step=register.step).count() == 2
