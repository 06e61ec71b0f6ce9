"""Celery tasks: thin, idempotent wrappers around plain functions in registry/."""

import logging
import time

from celery import shared_task
from django.db import DatabaseError, InterfaceError

from registry.analysis import rollups

# Reports and imports keep their tasks beside their services; the names stay importable
# from here for the callers not yet moved to them.
from registry.imports.tasks import import_worksheet_task  # noqa: F401
from registry.models import TeamRecompute
from registry.reports.tasks import (  # noqa: F401
    generate_report_task,
    prune_report_runs_task,
    run_report_schedule_task,
)

logger = logging.getLogger(__name__)
TRANSIENT = (DatabaseError, InterfaceError, ConnectionError)


@shared_task(
    name="registry.recompute_team",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    retry_backoff_max=120,
    max_retries=5,
)
def recompute_team_task(team_id: int) -> str:
    """Recompute a team's findings and rollups if a change left it dirty."""
    if not TeamRecompute.objects.filter(team_id=team_id, dirty=True).exists():
        return "up to date"
    started = time.perf_counter()
    rollups.recompute_team(team_id)
    logger.info("Recomputed team %s in %.0f ms", team_id, (time.perf_counter() - started) * 1000)
    return "recomputed"


@shared_task(name="registry.sweep_dirty_teams", acks_late=True)
def sweep_dirty_teams() -> int:
    """Recompute teams left dirty, e.g. when the broker was down as a change committed."""
    team_ids = list(TeamRecompute.objects.filter(dirty=True).values_list("team_id", flat=True))
    for team_id in team_ids:
        rollups.recompute_team(team_id)
    return len(team_ids)


@shared_task(
    name="registry.nightly_rollups",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
)
def nightly_rollups_task() -> int:
    """Recompute every team and write today's snapshots (re-running replaces them)."""
    return rollups.nightly()
