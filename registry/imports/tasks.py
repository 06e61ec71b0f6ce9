"""The Celery task of worksheet imports (routed to the reports queue:
CELERY_TASK_ROUTES): a thin wrapper that takes the import's id and calls its service.

The service never imports this module: `jobs.start_import` stores a large upload and
leaves the job queued, and its caller (the API, the Imports page) queues the task.
"""

from __future__ import annotations

from celery import shared_task

from registry.imports import checked, jobs
from registry.jobs import JobStatus, enqueue, requeue
from registry.models import WorksheetImport


@shared_task(name="registry.import_worksheet", acks_late=True)
def import_worksheet_task(import_id: int) -> str:
    """Check (and unless a dry run, import) an uploaded worksheet."""
    return jobs.run(import_id)


@shared_task(name="registry.requeue_stale_imports", acks_late=True)
def requeue_stale_imports_task() -> int:
    """Beat fires this every minute: imports whose worker died whole are queued again."""
    return requeue(import_worksheet_task, jobs.take_back_stale())


@shared_task(name="registry.prune_checked_uploads", acks_late=True)
def prune_checked_uploads_task() -> int:
    """Beat fires this nightly: checked incident files never confirmed are deleted."""
    return checked.prune()


def queue_import(job: WorksheetImport) -> None:
    """Queue the task for a job `start_import` left waiting, once the upload commits; if
    the broker cannot take it, the job is failed and `jobs.QueueUnavailable` raised."""
    if job.status == JobStatus.QUEUED:
        enqueue(import_worksheet_task, job, jobs.failed_columns)
