"""Bad data is refused by model validation and, written around it, by the database."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import UniqueConstraint

from registry.models import (
    Application,
    BusinessFunction,
    Component,
    Dependency,
    FailureMode,
    Membership,
    Step,
    Tier,
)
from tests.factories import (
    ComponentFactory,
    DependencyFactory,
    FailureModeFactory,
    StepFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


def assert_refused_by_database(queryset, **values) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        queryset.update(**values)


@pytest.mark.parametrize("field", ["severity", "probability", "detectability"])
@pytest.mark.parametrize("bad", [0, 11, None])
def test_a_rating_out_of_range_is_refused_by_validation(field, bad):
    """full_clean names the field and says what is allowed."""
    failure_mode = FailureModeFactory()
    setattr(failure_mode, field, bad)
    with pytest.raises(ValidationError) as excinfo:
        failure_mode.full_clean()
    assert field in excinfo.value.message_dict


@pytest.mark.parametrize("field", ["severity", "probability", "detectability"])
@pytest.mark.parametrize("bad", [0, 11, None])
def test_a_rating_out_of_range_is_refused_by_the_database(field, bad):
    """A raw UPDATE around validation fails, and the stored rating stays as it was."""
    failure_mode = FailureModeFactory(severity=5, probability=5, detectability=5)
    assert_refused_by_database(FailureMode.objects.filter(pk=failure_mode.pk), **{field: bad})
    failure_mode.refresh_from_db()
    assert getattr(failure_mode, field) == 5
    assert failure_mode.rpn == 125


def test_revised_ratings_come_as_a_set_of_three():
    """Revised severity alone is refused: a residual RPN needs all three ratings."""
    failure_mode = FailureModeFactory()
    queryset = FailureMode.objects.filter(pk=failure_mode.pk)
    assert_refused_by_database(queryset, revised_severity=4)
    assert_refused_by_database(
        queryset, revised_severity=11, revised_probability=2, revised_detectability=2
    )
    queryset.update(revised_severity=4, revised_probability=2, revised_detectability=2)
    failure_mode.refresh_from_db()
    assert (failure_mode.revised_rpn, failure_mode.revised_action_priority) == (16, "L")


def test_availability_and_recovery_objectives_are_checked_by_the_database():
    """Availability is a percentage; RTO and RPO are never negative."""
    step = StepFactory()
    tiers = Tier.objects.filter(pk=step.application.tier_id)
    assert_refused_by_database(tiers, availability_target=Decimal("100.5"))
    assert_refused_by_database(tiers, rto_seconds=-1)
    assert_refused_by_database(tiers, rpo_seconds=-1)
    assert_refused_by_database(
        Component.objects.filter(pk=ComponentFactory().pk), availability=Decimal("-1")
    )
    assert_refused_by_database(Step.objects.filter(pk=step.pk), availability_target=Decimal("101"))


def test_names_are_unique_where_users_expect_it():
    """Two applications of one name in a team, or two steps at one position, are refused."""
    step = StepFactory(order=1)
    application = step.application
    with pytest.raises(IntegrityError), transaction.atomic():
        StepFactory(application=application, order=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        type(application).objects.create(
            team=application.team,
            name=application.name,
            tier=application.tier,
            dr_strategy=application.dr_strategy,
        )


def test_a_dependency_has_exactly_one_dependant():
    """A dependency names a step or a component as its dependant, never both or neither."""
    dependency = DependencyFactory()
    other = ComponentFactory(team=dependency.component.team)
    queryset = type(dependency).objects.filter(pk=dependency.pk)
    assert_refused_by_database(queryset, dependant_component=other)
    assert_refused_by_database(queryset, step=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        type(dependency).objects.create(dependant_component=other, component=other)


def test_another_teams_component_cannot_be_linked():
    """A failure mode or dependency that would reach into another team is invalid."""
    step = StepFactory()
    foreign = ComponentFactory(team=TeamFactory())
    failure_mode = FailureMode(
        step=step, component=foreign, mode="x", severity=1, probability=1, detectability=1
    )
    with pytest.raises(ValidationError) as excinfo:
        failure_mode.full_clean()
    assert "component" in excinfo.value.message_dict
    dependency = DependencyFactory.build(step=step, component=foreign)
    with pytest.raises(ValidationError) as excinfo:
        dependency.full_clean()
    assert "component" in excinfo.value.message_dict


def test_a_failure_mode_takes_its_steps_team():
    """The team is filled in from the step and a different one is refused."""
    step = StepFactory()
    failure_mode = FailureMode(step=step, mode="x", severity=1, probability=1, detectability=1)
    failure_mode.full_clean()
    assert failure_mode.team_id == step.application.team_id
    failure_mode.team = TeamFactory()
    with pytest.raises(ValidationError) as excinfo:
        failure_mode.full_clean()
    assert "step" in excinfo.value.message_dict


def test_a_step_looser_than_its_tier_needs_a_reason():
    """Looser RTO, RPO and availability are refused on `objective_reason` until a reason
    is written; stricter ones need none."""
    step = StepFactory()
    tier = step.application.tier
    step.rto_seconds = tier.rto_seconds + 1
    step.rpo_seconds = tier.rpo_seconds + 1
    step.availability_target = tier.availability_target - 1
    with pytest.raises(ValidationError) as excinfo:
        step.full_clean()
    assert set(excinfo.value.message_dict) == {"objective_reason"}
    [message] = excinfo.value.message_dict["objective_reason"]
    assert "RTO and RPO and availability target is looser than" in message
    step.objective_reason = "Nightly batch: may wait until morning."
    step.full_clean()
    step.rto_seconds, step.rpo_seconds, step.availability_target = 60, 10, Decimal("99.9999")
    step.objective_reason = ""
    step.full_clean()


def test_a_dependency_that_closes_a_loop_is_refused_by_validation():
    """Model validation, which every interface runs, names the loop on `component`."""
    queue = ComponentFactory(name="Queue")
    worker = ComponentFactory(team=queue.team, name="Worker")
    DependencyFactory(step=None, dependant_component=queue, component=worker)
    closing = DependencyFactory.build(step=None, dependant_component=worker, component=queue)
    with pytest.raises(ValidationError) as excinfo:
        closing.full_clean()
    assert excinfo.value.message_dict == {
        "component": ["This would close a loop: Worker → Queue → Worker."]
    }


def test_every_rule_constraint_of_the_register_names_where_it_is_shown():
    """Each unique constraint, and each check with a message of its own, carries that
    message and says which field shows it (constraint_fields), so no interface words it
    again. (Range and choice checks are answered first by the fields' validators.)"""
    for model in (BusinessFunction, Application, Step, Component, Dependency, Membership):
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        for constraint in model._meta.constraints:
            worded = (
                constraint.violation_error_message != constraint.default_violation_error_message
            )
            if isinstance(constraint, UniqueConstraint) or worded:
                assert worded, constraint.name
                assert constraint.name.removeprefix(prefix) in model.constraint_fields


def test_the_database_refuses_a_second_failure_mode_with_the_same_step_component_and_mode():
    """Written around validation (a bulk insert, an UPDATE), a duplicate still fails;
    with no component, the step and mode text (in any case) decide."""
    component = ComponentFactory()
    first = FailureModeFactory(component=component, mode="Disk full")
    alone = FailureModeFactory(step=first.step, component=None, mode="Disk full")
    for twin in (
        FailureMode(step=first.step, team=first.team, component=component, mode="DISK FULL"),
        FailureMode(step=first.step, team=first.team, component=None, mode="disk full"),
    ):
        twin.severity = twin.probability = twin.detectability = 5
        with pytest.raises(IntegrityError), transaction.atomic():
            FailureMode.objects.bulk_create([twin])
    other = FailureModeFactory(step=first.step, component=None, mode="Disk slow")
    assert_refused_by_database(FailureMode.objects.filter(pk=other.pk), mode="Disk Full")
    assert alone.mode == "Disk full"


@pytest.mark.django_db(transaction=True)
def test_the_migration_renames_existing_twins_so_that_the_constraint_holds(capsys):
    """Failure modes written before the unique constraint, twice the same (in any
    case): the first keeps its mode, the others are renamed with their id and listed;
    the constraint then goes on."""
    from importlib import import_module

    from django.apps import apps
    from django.db import connection

    migration = import_module("registry.migrations.0014_baselines_unique_failure_modes")
    unique = [c for c in FailureMode._meta.constraints if isinstance(c, UniqueConstraint)]
    with connection.schema_editor() as editor:
        for constraint in unique:
            editor.remove_constraint(FailureMode, constraint)
    first = FailureModeFactory(mode="Disk full", component=None)
    twin = FailureModeFactory(step=first.step, mode="DISK FULL", component=None)
    other_step = FailureModeFactory(mode="Disk full", component=None)
    migration.rename_duplicate_failure_modes(apps, None)
    with connection.schema_editor() as editor:
        for constraint in unique:
            editor.add_constraint(FailureMode, constraint)
    modes = dict(FailureMode.objects.values_list("pk", "mode"))
    assert modes == {
        first.pk: "Disk full",
        twin.pk: f"DISK FULL (duplicate #{twin.pk})",
        other_step.pk: "Disk full",
    }
    assert f"Failure mode #{twin.pk} renamed" in capsys.readouterr().out
