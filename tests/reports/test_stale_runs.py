"""A run whose worker died whole (no heartbeat for JOB_STALE_AFTER_SECONDS) is put back
in the queue by the beat sweep and finished by the next task, within minutes instead of
the broker's hour; the dead attempt can no longer finish it."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from registry.models import JobStatus, ReportRun
from registry.reports import runs
from registry.reports.tasks import generate_report_task, requeue_stale_report_runs_task


@pytest.fixture
def queued(capture_queued):
    """The run ids handed to the generation task."""
    return capture_queued(generate_report_task)


def running(demo, demo_owner, heartbeat_seconds_ago: float, attempts: int = 1):
    """A run claimed by task-1, its last heartbeat that many seconds ago; (run, token)."""
    run = runs.request_report(team=demo, user=demo_owner, format="csv", scope={})
    token = runs.claim(run.pk, "task-1")
    beat = timezone.now() - timedelta(seconds=heartbeat_seconds_ago)
    ReportRun.objects.filter(pk=run.pk).update(heartbeat_at=beat, attempts=attempts)
    return run, token


def test_claiming_a_run_stamps_its_heartbeat(demo, demo_owner):
    run = runs.request_report(team=demo, user=demo_owner, format="csv", scope={})
    assert run.heartbeat_at is None
    runs.claim(run.pk, "task-1")
    run.refresh_from_db()
    assert run.heartbeat_at == run.started_at


def test_a_run_without_heartbeat_for_too_long_is_queued_again_and_finished(
    demo, demo_owner, settings, queued, media
):
    settings.JOB_STALE_AFTER_SECONDS = 120
    run, dead_token = running(demo, demo_owner, heartbeat_seconds_ago=121)
    assert requeue_stale_report_runs_task() == 1
    assert queued == [run.pk]
    run.refresh_from_db()
    assert (run.status, run.claimed_by, run.claim_token) == ("queued", "", "")
    # The dead attempt's token holds nothing now; the new task takes the run and ends it.
    assert not ReportRun.objects.filter(pk=run.pk, claim_token=dead_token).exists()
    assert generate_report_task(run.pk) == "done"
    run.refresh_from_db()
    assert (run.status, run.attempts) == ("done", 2)


def test_a_run_with_a_recent_heartbeat_is_left_alone(demo, demo_owner, settings, queued):
    settings.JOB_STALE_AFTER_SECONDS = 120
    run, token = running(demo, demo_owner, heartbeat_seconds_ago=100)
    assert requeue_stale_report_runs_task() == 0
    run.refresh_from_db()
    assert (run.status, run.claim_token, queued) == ("running", token, [])


def test_a_queued_run_waiting_less_than_the_stale_time_is_left_alone(
    demo, demo_owner, settings, queued
):
    """Queued by its request, not yet claimed: the broker holds its message."""
    settings.JOB_STALE_AFTER_SECONDS = 120
    run = runs.request_report(team=demo, user=demo_owner, format="csv", scope={})
    ReportRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(seconds=100))
    assert requeue_stale_report_runs_task() == 0 and queued == []


def test_a_run_never_claimed_for_too_long_is_queued_again_and_finished_once(
    demo, demo_owner, settings, queued, media
):
    """A worker killed whole takes the message it had reserved (not started) with it, and
    the broker gives it back only after its hour-long visibility timeout. The sweep queues
    the run again; if the first message does arrive after all, it finds the run taken."""
    settings.JOB_STALE_AFTER_SECONDS = 120
    run = runs.request_report(team=demo, user=demo_owner, format="csv", scope={})
    ReportRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(seconds=121))
    assert requeue_stale_report_runs_task() == 1
    assert queued == [run.pk]
    assert requeue_stale_report_runs_task() == 0  # stamped: not again before the stale time
    assert generate_report_task(run.pk) == "done"
    generate_report_task(run.pk)  # the first message, given back by the broker at last
    run.refresh_from_db()
    assert (run.status, run.attempts) == ("done", 1)


def test_two_sweeps_take_a_run_back_once(demo, demo_owner, settings, queued):
    settings.JOB_STALE_AFTER_SECONDS = 120
    run, _ = running(demo, demo_owner, heartbeat_seconds_ago=500)
    assert runs.take_back_stale() == [run.pk]
    assert runs.take_back_stale() == []


def test_a_run_taken_back_while_the_broker_was_down_is_queued_by_a_later_sweep(
    demo, demo_owner, settings, queued
):
    """The sweep resets the run and stamps it; if its task could not be queued, the run
    stays queued and the next sweep after the stale time queues it again."""
    settings.JOB_STALE_AFTER_SECONDS = 120
    run, _ = running(demo, demo_owner, heartbeat_seconds_ago=500)
    assert runs.take_back_stale() == [run.pk]  # its task lost with the broker
    assert runs.take_back_stale() == []  # too soon
    later = timezone.now() + timedelta(seconds=121)
    assert runs.take_back_stale(later) == [run.pk]


def test_a_run_whose_workers_died_too_often_is_failed_not_queued(
    demo, demo_owner, settings, queued
):
    settings.JOB_STALE_AFTER_SECONDS = 120
    run, _ = running(demo, demo_owner, heartbeat_seconds_ago=500, attempts=runs.MAX_ATTEMPTS)
    assert requeue_stale_report_runs_task() == 0
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED
    assert run.error.startswith("The worker generating the report stopped 3 times")


def test_beat_runs_the_sweeps_every_minute():
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    assert schedule["requeue-stale-report-runs"] == {
        "task": "registry.requeue_stale_report_runs",
        "schedule": 60.0,
    }
    assert schedule["requeue-stale-imports"]["task"] == "registry.requeue_stale_imports"
    assert django_settings.JOB_HEARTBEAT_SECONDS * 3 <= django_settings.JOB_STALE_AFTER_SECONDS


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_is_stamped_while_the_work_runs_and_only_for_its_attempt(
    demo, demo_owner, settings
):
    import time

    from registry.jobs import Heartbeat

    settings.JOB_HEARTBEAT_SECONDS = 0.05
    run, token = running(demo, demo_owner, heartbeat_seconds_ago=3600)
    with Heartbeat(ReportRun, run.pk, claim_token=token):
        time.sleep(0.5)  # a long step of the work, with no progress to write
    run.refresh_from_db()
    assert timezone.now() - run.heartbeat_at < timedelta(seconds=1)
    ReportRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    with Heartbeat(ReportRun, run.pk, claim_token="another-attempt"):
        time.sleep(0.3)
    run.refresh_from_db()
    assert timezone.now() - run.heartbeat_at > timedelta(minutes=59)
