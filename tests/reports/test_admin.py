"""The admin pages of report schedules, runs and imports."""

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from registry.models import ReportRun, ReportSchedule, WorksheetImport


@pytest.fixture
def rows(demo, demo_owner):
    schedule = ReportSchedule.objects.create(
        team=demo, name="Weekly", format="pdf", crontab="0 7 * * 1", recipients="a@example.com"
    )
    run = ReportRun.objects.create(team=demo, format="csv", schedule=schedule)
    job = WorksheetImport.objects.create(team=demo, source_name="sheet.csv")
    return {ReportSchedule: schedule, ReportRun: run, WorksheetImport: job}


@pytest.mark.parametrize("model", [ReportSchedule, ReportRun, WorksheetImport])
def test_the_admin_lists_and_shows_them(admin_client, rows, model):
    name = model._meta.model_name
    listing = admin_client.get(reverse(f"admin:registry_{name}_changelist"))
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [rows[model]]
    page = admin_client.get(reverse(f"admin:registry_{name}_change", args=[rows[model].pk]))
    assert page.status_code == 200


def test_runs_and_imports_are_not_made_in_the_admin(admin_client, rows):
    assert admin_client.get(reverse("admin:registry_reportrun_add")).status_code == 403
    assert admin_client.get(reverse("admin:registry_worksheetimport_add")).status_code == 403


def test_a_schedule_saved_in_the_admin_updates_its_beat_entry(admin_client, rows, demo):
    schedule = rows[ReportSchedule]
    response = admin_client.post(
        reverse("admin:registry_reportschedule_change", args=[schedule.pk]),
        {
            "team": demo.pk,
            "name": "Weekly",
            "format": "xlsx",
            "crontab": "15 6 * * 5",
            "recipients": "a@example.com",
            "tiers": "[1]",
            "applications": "[]",
            "statuses": "[]",
            "action_priorities": "[]",
        },
    )
    assert response.status_code == 302, response.context["adminform"].errors
    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("15", "6", "5")
    assert not task.enabled  # the enabled box was not ticked


def test_send_now_queues_the_schedule(admin_client, rows, monkeypatch):
    from registry.reports.tasks import run_report_schedule_task

    queued = []
    monkeypatch.setattr(run_report_schedule_task, "delay", queued.append)
    schedule = rows[ReportSchedule]
    admin_client.post(
        reverse("admin:registry_reportschedule_changelist"),
        {"action": "send_now", "_selected_action": [schedule.pk]},
    )
    assert queued == [schedule.pk]


def test_send_now_says_so_when_the_broker_is_down(admin_client, rows, broker_down):
    """A message, not a 500: nothing was sent."""
    schedule = rows[ReportSchedule]
    response = admin_client.post(
        reverse("admin:registry_reportschedule_changelist"),
        {"action": "send_now", "_selected_action": [schedule.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Not sent: the task queue is unreachable." in response.content.decode()
    assert not ReportRun.objects.exclude(pk=rows[ReportRun].pk).exists()


def test_a_run_shows_its_heartbeat_and_idempotency_key(admin_client, rows):
    run = rows[ReportRun]
    ReportRun.objects.filter(pk=run.pk).update(idempotency_key="client-key-1")
    page = admin_client.get(reverse("admin:registry_reportrun_change", args=[run.pk]))
    assert "client-key-1" in page.content.decode()
    assert "Heartbeat at" in page.content.decode()
