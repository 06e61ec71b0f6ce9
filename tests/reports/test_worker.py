"""Reports through a real Celery worker on the configured broker (Redis in CI, the
filesystem broker on a fresh machine), consuming the reports queue as in production."""

import json

import pytest
from django.core import mail
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask
from rest_framework.test import APIClient

from fmea.celery import app as celery_app
from registry.models import Membership, ReportRun, ReportSchedule, Team
from tests.workers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo():
    call_command("seed_demo", verbosity=0)
    team = Team.objects.get(slug="demo")
    return team, Membership.objects.get(team=team, role="owner").user


def test_a_requested_report_is_generated_by_the_worker(worker, demo):
    team, owner = demo
    client = APIClient()
    client.force_authenticate(owner)
    response = client.post("/api/v1/reports/", {"team": team.pk, "format": "csv"}, format="json")
    assert response.status_code == 202
    run_id = response.json()["id"]

    def done():
        """the run is done"""
        return ReportRun.objects.filter(pk=run_id, status__in=("done", "failed")).exists()

    wait_for(done)
    body = client.get(f"/api/v1/reports/{run_id}/").json()
    assert body["status"] == "done", body["error"]
    download = client.get(body["download_url"])
    assert download.status_code == 200
    assert b"Throttling at the provisioned capacity" in b"".join(download.streaming_content)


def test_a_schedule_fired_as_beat_fires_it_emails_one_report(worker, demo):
    """Send the beat entry's task with its kwargs, as beat does."""
    team, owner = demo
    schedule = ReportSchedule.objects.create(
        team=team,
        name="Weekly",
        format="xlsx",
        crontab="0 7 * * 1",
        recipients="boss@example.com",
        created_by=owner,
    )
    entry = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    celery_app.send_task(entry.task, kwargs=json.loads(entry.kwargs))

    def emailed():
        """the schedule's run is done and its email sent"""
        # emailed_at is claimed just before sending: wait for the message itself.
        sent = ReportRun.objects.filter(schedule=schedule, emailed_at__isnull=False).exists()
        return sent and len(mail.outbox) >= 1

    wait_for(emailed)
    assert ReportRun.objects.filter(schedule=schedule).count() == 1
    assert len(mail.outbox) == 1
    [(name, content, _)] = mail.outbox[0].attachments
    assert name.endswith(".xlsx") and content.startswith(b"PK")
