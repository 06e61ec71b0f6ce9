"""Writing several failure modes at once (registry/services/failure_modes.py), called
directly: every one or none, each with who made it, in its history too."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from registry.choices import FailureCategory, TemplateComponentKind
from registry.models import FailureMode, FailureModeTemplate
from registry.services.failure_modes import (
    failure_modes_bulk_create,
    failure_modes_from_templates,
)
from tests.factories import ComponentFactory, StepFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def row(step, **values) -> dict:
    return {
        "step": step,
        "team": step.application.team,
        "mode": "Database unreachable",
        "severity": 5,
        "probability": 4,
        "detectability": 3,
        **values,
    }


def template(mode: str, severity: int, probability: int, detectability: int):
    return FailureModeTemplate.objects.create(
        component_kind=TemplateComponentKind.DATABASE,
        failure_category=FailureCategory.SINGLE_POINT_OF_FAILURE,
        mode=mode,
        effect="Orders cannot be taken.",
        cause="Host failure.",
        severity=severity,
        probability=probability,
        detectability=detectability,
    )


def test_bulk_create_makes_every_row_with_its_author():
    step = StepFactory()
    bob = UserFactory(username="bob")
    created = failure_modes_bulk_create(
        user=bob, rows=[row(step, mode="a"), row(step, mode="b", severity=9)]
    )
    assert [(each.mode, each.rpn, each.version) for each in created] == [
        ("a", 60, 1),
        ("b", 108, 1),
    ]
    for failure_mode in FailureMode.objects.all():
        assert (failure_mode.created_by, failure_mode.updated_by) == (bob, bob)
        assert failure_mode.history.get().history_user == bob


def test_bulk_create_is_all_or_nothing():
    """The second row breaks a database rule: the first is not kept either."""
    step = StepFactory()
    with pytest.raises(IntegrityError):
        failure_modes_bulk_create(
            user=UserFactory(), rows=[row(step, mode="a"), row(step, mode="b", severity=11)]
        )
    assert not FailureMode.objects.exists()


def test_templates_become_failure_modes_of_the_step_with_their_ratings():
    step = StepFactory()
    database = ComponentFactory(team=step.application.team, kind="database")
    bob = UserFactory(username="bob")
    templates = [template("Primary down", 8, 3, 2), template("Disk full", 6, 4, 5)]
    created = failure_modes_from_templates(
        step=step, templates=templates, component=database, user=bob
    )
    stored = FailureMode.objects.order_by("mode")
    assert [(each.mode, each.rpn, each.component_id) for each in stored] == [
        ("Disk full", 120, database.pk),
        ("Primary down", 48, database.pk),
    ]
    assert {each.team_id for each in created} == {step.application.team_id}
    assert [each.history.get().history_user for each in stored] == [bob, bob]


def test_templates_for_another_teams_component_add_nothing():
    step = StepFactory()
    foreign = ComponentFactory(team=TeamFactory())
    with pytest.raises(ValidationError) as refused:
        failure_modes_from_templates(
            step=step,
            templates=[template("Primary down", 8, 3, 2)],
            component=foreign,
            user=UserFactory(),
        )
    assert "component" in refused.value.message_dict
    assert not FailureMode.objects.exists()
