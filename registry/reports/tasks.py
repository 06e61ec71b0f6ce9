"""Celery tasks of reports, routed to the reports queue (CELERY_TASK_ROUTES): thin
wrappers that take ids and call the report services.

The services never import this module: whoever requests a run (the API, the Reports
page) queues its generation, and beat queues the schedules and the nightly prune.
"""

from __future__ import annotations

from celery import shared_task

from registry.jobs import JobStatus, enqueue, requeue
from registry.models import ReportRun
from registry.reports import retention, runs, schedules


@shared_task(
    name="registry.generate_report",
    bind=True,
    acks_late=True,
    # The worker process dying mid-run (killed, out of memory) requeues the message
    # instead of acknowledging it; the redelivery, same task id, takes the run over.
    reject_on_worker_lost=True,
)
def generate_report_task(self, run_id: int) -> str:
    """Generate a report run's file; a run held by another task or finished is left alone."""
    return runs.generate(run_id, task_id=self.request.id)


@shared_task(
    name="registry.run_report_schedule",
    bind=True,
    acks_late=True,
    autoretry_for=(ConnectionError, OSError),
    retry_backoff=True,
    max_retries=3,
)
def run_report_schedule_task(self, schedule_id: int) -> str:
    """Beat fires this for a report schedule: make the run, generate it, email it."""
    return schedules.fire(schedule_id, task_id=self.request.id)


@shared_task(name="registry.prune_report_runs", acks_late=True)
def prune_report_runs_task() -> int:
    """Delete report runs (and files) older than REPORT_RETENTION_DAYS."""
    return retention.prune_report_runs()


@shared_task(name="registry.requeue_stale_report_runs", acks_late=True)
def requeue_stale_report_runs_task() -> int:
    """Beat fires this every minute: runs whose worker died whole are queued again."""
    return requeue(generate_report_task, runs.take_back_stale())


def queue_report(run: ReportRun) -> None:
    """Queue the generation of a run `runs.request_report` made, once it commits; if the
    broker cannot take it, the run is failed and `jobs.QueueUnavailable` raised."""
    if run.status == JobStatus.QUEUED:
        enqueue(generate_report_task, run, runs.failed_columns)
