"""Old report runs go with their files; each schedule's latest done run and unfinished
runs stay."""

import os
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from registry.models import JobStatus, ReportRun, ReportSchedule
from registry.reports.retention import prune_report_runs


def age(run: ReportRun, days: int) -> None:
    ReportRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(days=days))


def test_runs_past_retention_are_deleted_with_their_files(
    make_run, demo, settings, media, django_capture_on_commit_callbacks
):
    settings.REPORT_RETENTION_DAYS = 30
    old, recent = make_run("csv"), make_run("csv")
    age(old, 31)
    age(recent, 29)
    running = ReportRun.objects.create(team=demo, format="csv", status=JobStatus.RUNNING)
    age(running, 400)
    schedule = ReportSchedule.objects.create(
        team=demo, name="Weekly", crontab="0 7 * * 1", recipients="cio@example.com"
    )
    older_firing, latest_firing = make_run("csv"), make_run("csv")
    ReportRun.objects.filter(pk__in=[older_firing.pk, latest_firing.pk]).update(schedule=schedule)
    age(older_firing, 60)
    age(latest_firing, 50)
    old_file = os.path.join(media, old.file.name)
    assert os.path.exists(old_file)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        assert prune_report_runs() == 2

    remaining = set(ReportRun.objects.values_list("pk", flat=True))
    assert remaining == {recent.pk, running.pk, latest_firing.pk}
    assert not os.path.exists(old_file)
    assert not os.path.exists(os.path.join(media, older_firing.file.name))
    assert os.path.exists(os.path.join(media, recent.file.name))


def test_retention_of_zero_keeps_every_run(make_run, settings):
    settings.REPORT_RETENTION_DAYS = 0
    age(make_run("csv"), 1000)
    assert prune_report_runs() == 0
    assert ReportRun.objects.count() == 1


def test_beat_prunes_every_night_with_the_registered_task(make_run, settings):
    from fmea.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["prune-report-runs"]
    settings.REPORT_RETENTION_DAYS = 7
    age(make_run("csv"), 8)
    assert app.tasks[entry["task"]]() == 1
    assert ReportRun.objects.count() == 0


def test_a_run_left_running_for_a_day_is_marked_failed(demo, settings):
    settings.REPORT_RETENTION_DAYS = 30
    started = timezone.now() - timedelta(days=2)
    abandoned = ReportRun.objects.create(
        team=demo, format="csv", status=JobStatus.RUNNING, started_at=started
    )
    working = ReportRun.objects.create(
        team=demo, format="csv", status=JobStatus.RUNNING, started_at=timezone.now()
    )
    prune_report_runs()
    abandoned.refresh_from_db()
    working.refresh_from_db()
    assert abandoned.status == JobStatus.FAILED
    assert "request the report again" in abandoned.error
    assert working.status == JobStatus.RUNNING
