"""Deleting a team with its register commits, and queues no recompute of it; deleting
one row of a register still marks its team.

These tests commit (transaction=True): the foreign keys are deferred, so a row left
pointing at the deleted team only fails when the transaction commits.
"""

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from registry.analysis import rollups
from registry.models import (
    Application,
    FailureMode,
    ReportSchedule,
    Step,
    Team,
    TeamRecompute,
)
from tests.factories import ApplicationFactory, TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)


class QueuedRecomputes:
    """Stands in for the recompute task: records the team ids queued."""

    def __init__(self) -> None:
        self.team_ids: list[int] = []

    def apply_async(self, args, **options) -> None:
        self.team_ids.append(args[0])


@pytest.fixture
def queued(monkeypatch) -> QueuedRecomputes:
    fake = QueuedRecomputes()
    monkeypatch.setattr("registry.analysis.tasks.recompute_team_task", fake)
    return fake


@pytest.fixture
def demo() -> Team:
    """The demo team, committed, recomputed (clean), with a report schedule."""
    call_command("seed_demo", verbosity=0)
    team = Team.objects.get(slug="demo")
    ReportSchedule.objects.create(
        team=team, name="Weekly", crontab="0 7 * * 1", recipients="risk@example.com"
    )
    rollups.recompute_team(team.pk)
    return team


def assert_gone(team_id: int) -> None:
    assert not Team.objects.filter(pk=team_id).exists()
    assert not TeamRecompute.objects.filter(team_id=team_id).exists()
    assert not Application.objects.filter(team_id=team_id).exists()
    assert not FailureMode.objects.filter(team_id=team_id).exists()
    assert not ReportSchedule.objects.filter(team_id=team_id).exists()
    assert not PeriodicTask.objects.filter(task="registry.run_report_schedule").exists()


def test_it_deletes_a_team_with_its_register(demo, queued):
    """Team.delete() cascades through the register and commits; nothing is queued."""
    demo.delete()
    assert_gone(demo.pk)
    assert queued.team_ids == []


def test_it_deletes_a_team_changed_earlier_in_the_same_transaction(demo, queued):
    """A team marked dirty and then deleted in one transaction is not queued."""
    with transaction.atomic():
        failure_mode = FailureMode.objects.filter(team=demo).first()
        failure_mode.severity = 10
        failure_mode.save()
        Team.objects.filter(pk=demo.pk).delete()
    assert_gone(demo.pk)
    assert queued.team_ids == []


def test_other_teams_changed_in_the_transaction_are_still_marked(demo, queued):
    other = TeamFactory()
    with transaction.atomic():
        ApplicationFactory(team=other)
        demo.delete()
    assert_gone(demo.pk)
    assert TeamRecompute.objects.get(team=other).dirty is True
    assert queued.team_ids == [other.pk]


def test_the_admin_deletes_a_team(demo, queued, client):
    """The admin's delete page (confirm, then post) removes the team."""
    client.force_login(demo.members.get(username="demo"))
    url = reverse("admin:registry_team_delete", args=[demo.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert_gone(demo.pk)
    assert queued.team_ids == []


def test_the_admin_bulk_action_deletes_teams(demo, queued, client):
    other = TeamFactory()
    ApplicationFactory(team=other)
    queued.team_ids.clear()
    client.force_login(demo.members.get(username="demo"))
    response = client.post(
        reverse("admin:registry_team_changelist"),
        {"action": "delete_selected", "_selected_action": [demo.pk, other.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert_gone(demo.pk)
    assert not Team.objects.filter(pk=other.pk).exists()
    assert queued.team_ids == []


@pytest.mark.parametrize(
    "model", [Application, Step, FailureMode], ids=["application", "step", "failure mode"]
)
def test_deleting_one_row_marks_its_team_dirty(demo, queued, model):
    """Deleting part of a register marks its team dirty and queues its recompute."""
    queryset = model.objects.for_team(demo.pk)
    assert TeamRecompute.objects.get(team=demo).dirty is False
    queryset.first().delete()
    assert TeamRecompute.objects.get(team=demo).dirty is True
    assert queued.team_ids == [demo.pk]


def test_a_save_outside_a_transaction_marks_and_queues_at_once(demo, queued):
    failure_mode = FailureMode.objects.filter(team=demo).first()
    failure_mode.severity = 10
    failure_mode.save()
    assert TeamRecompute.objects.get(team=demo).dirty is True
    assert queued.team_ids == [demo.pk]


def test_a_change_rolled_back_with_a_savepoint_does_not_lose_the_mark(queued):
    """The team's first change is undone with its savepoint; the same change made again
    in the enclosing transaction still leaves the team dirty at commit."""
    team, other = TeamFactory(), TeamFactory()
    application = ApplicationFactory(team=team)
    ApplicationFactory(team=other)
    TeamRecompute.objects.update(dirty=False)
    with transaction.atomic():
        Application.objects.filter(team=other).first().save()  # the transaction's first mark
        try:
            with transaction.atomic():
                application.name = "Renamed"
                application.save()
                raise RuntimeError("undo")
        except RuntimeError:
            pass
        application.name = "Renamed again"
        application.save()
    assert TeamRecompute.objects.get(team=team).dirty
    assert team.pk in queued.team_ids
