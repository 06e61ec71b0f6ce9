"""Celery tasks: thin, idempotent wrappers around plain functions in registry/."""

import logging

from celery import shared_task

from registry.analysis.tasks import (  # noqa: F401
    nightly_rollups_task,
    recompute_team_task,
    sweep_dirty_teams,
)

logger = logging.getLogger(__name__)


# --- reports and worksheet imports (routed to the reports queue: CELERY_TASK_ROUTES) ---


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
    from registry.reports import runs

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
    from registry.reports import schedules

    return schedules.fire(schedule_id, task_id=self.request.id)


@shared_task(name="registry.import_worksheet", acks_late=True)
def import_worksheet_task(import_id: int) -> str:
    """Check (and unless a dry run, import) an uploaded worksheet."""
    from registry.imports import jobs

    return jobs.run(import_id)


@shared_task(name="registry.prune_report_runs", acks_late=True)
def prune_report_runs_task() -> int:
    """Delete report runs (and files) older than REPORT_RETENTION_DAYS."""
    from registry.reports.retention import prune_report_runs

    return prune_report_runs()
