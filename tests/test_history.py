"""Every change is in the history, and a stale copy cannot overwrite a newer row."""

import pytest

from registry.models import FailureMode, StaleEditError
from tests.factories import ActionFactory, FailureModeFactory, StepFactory

pytestmark = pytest.mark.django_db


def test_each_change_adds_a_history_row_and_increases_the_version():
    """Saving twice gives versions 1, 2, 3 and three history rows with the old values."""
    failure_mode = FailureModeFactory(severity=5)
    assert failure_mode.version == 1
    failure_mode.severity = 8
    failure_mode.save()
    failure_mode.status = "mitigating"
    failure_mode.save()
    assert failure_mode.version == 3
    history = list(failure_mode.history.order_by("history_date"))
    assert [row.version for row in history] == [1, 2, 3]
    assert [row.severity for row in history] == [5, 8, 8]
    assert history[-1].history_type == "~"


def test_history_records_who_made_the_change(alice):
    """The history row carries the user who saved."""
    failure_mode = FailureModeFactory()
    failure_mode.severity = 9
    failure_mode._history_user = alice
    failure_mode.save()
    assert failure_mode.history.first().history_user == alice


def test_history_covers_applications_steps_tiers_and_actions():
    """The other audited models keep history too."""
    action = ActionFactory()
    step = action.failure_mode.step
    for record in (action, step, step.application, step.application.tier):
        before = record.history.count()
        record.save()
        assert record.history.count() == before + 1, type(record).__name__


def test_a_stale_copy_cannot_overwrite_a_newer_save():
    """The second of two editors who read version 1 gets StaleEditError; nothing is lost."""
    failure_mode = FailureModeFactory(severity=5, probability=5)
    first = FailureMode.objects.get(pk=failure_mode.pk)
    second = FailureMode.objects.get(pk=failure_mode.pk)
    first.severity = 9
    first.save()
    second.probability = 2
    with pytest.raises(StaleEditError):
        second.save()
    assert second.version == 1
    stored = FailureMode.objects.get(pk=failure_mode.pk)
    assert (stored.severity, stored.probability, stored.version) == (9, 5, 2)


def test_saving_with_update_fields_still_bumps_the_version():
    """A partial save is a change like any other."""
    step = StepFactory()
    failure_mode = FailureModeFactory(step=step)
    failure_mode.status = "mitigating"
    failure_mode.save(update_fields=["status"])
    failure_mode.refresh_from_db()
    assert (failure_mode.status, failure_mode.version) == ("mitigating", 2)
