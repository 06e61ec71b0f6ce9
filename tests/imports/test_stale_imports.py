"""An import whose worker died whole (no heartbeat for JOB_STALE_AFTER_SECONDS) is put
back in the queue by the beat sweep and imported once by the next task."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from registry.imports import jobs
from registry.imports.tasks import import_worksheet_task, requeue_stale_imports_task
from registry.models import FailureMode, WorksheetImport


@pytest.fixture
def queued(capture_queued):
    return capture_queued(import_worksheet_task)


def queued_in_background(team, user, sample_bytes, settings) -> WorksheetImport:
    """A sample import too big to run in the request, queued; stale after 120 s."""
    settings.IMPORT_INLINE_MAX_BYTES = 10
    settings.JOB_STALE_AFTER_SECONDS = 120
    return jobs.start_import(
        team=team,
        user=user,
        upload=SimpleUploadedFile("big.csv", sample_bytes),
        source_name="big.csv",
        dry_run=False,
    )


def test_an_import_whose_worker_died_is_queued_again_and_imported_once(
    reference, team_a, bob, sample_bytes, settings, queued
):
    job = queued_in_background(team_a, bob, sample_bytes, settings)
    assert (job.status, job.background) == ("queued", True)
    # A worker claimed it and died whole: its transaction died with it.
    long_ago = timezone.now() - timedelta(seconds=121)
    WorksheetImport.objects.filter(pk=job.pk).update(
        status="running", started_at=long_ago, heartbeat_at=long_ago, progress_done=7
    )
    assert requeue_stale_imports_task() == 1
    assert queued == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.progress_done) == ("queued", 0)
    assert import_worksheet_task(job.pk) == "done"
    job.refresh_from_db()
    assert job.status == "done"
    assert (
        FailureMode.objects.filter(team=team_a).count()
        == job.summary["created"]["failure_modes"]
        == 5
    )


def test_a_running_import_with_a_recent_heartbeat_is_left_alone(
    reference, team_a, bob, settings, queued
):
    settings.JOB_STALE_AFTER_SECONDS = 120
    job = WorksheetImport.objects.create(
        team=team_a, requested_by=bob, status="running", heartbeat_at=timezone.now()
    )
    assert requeue_stale_imports_task() == 0
    job.refresh_from_db()
    assert (job.status, queued) == ("running", [])


def test_an_import_never_claimed_for_too_long_is_queued_again_and_imported_once(
    reference, team_a, bob, sample_bytes, settings, queued
):
    """Its message went with a worker killed before it started the import."""
    job = queued_in_background(team_a, bob, sample_bytes, settings)
    recent = timezone.now() - timedelta(seconds=100)
    WorksheetImport.objects.filter(pk=job.pk).update(created_at=recent)
    assert requeue_stale_imports_task() == 0
    long_ago = timezone.now() - timedelta(seconds=121)
    WorksheetImport.objects.filter(pk=job.pk).update(created_at=long_ago)
    assert requeue_stale_imports_task() == 1
    # The sweep's message (the request's is sent when its transaction commits).
    assert queued == [job.pk]
    assert import_worksheet_task(job.pk) == "done"
    import_worksheet_task(job.pk)  # the first message, given back at last
    assert FailureMode.objects.filter(team=team_a).count() == 5
