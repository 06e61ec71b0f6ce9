"""Celery tasks of the analysis: thin, idempotent wrappers around the recompute service.

The service never queues them: `registry.analysis.signals` does, when a transaction
that changed a team commits, and beat runs the sweep and the nightly rollups.
"""

import logging
import time

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, InterfaceError

from registry.analysis import rollups
from registry.models import TeamRecompute

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
    """Recompute a team's findings and rollups if a change left it dirty; if a change
    came while it ran, queue the next run (the changes that find a team dirty queue
    none)."""
    if not TeamRecompute.objects.filter(team_id=team_id, dirty=True).exists():
        return "up to date"
    started = time.perf_counter()
    state = rollups.recompute_team(team_id)
    logger.info("Recomputed team %s in %.0f ms", team_id, (time.perf_counter() - started) * 1000)
    if state.dirty:
        queue_recompute(team_id)
    return "recomputed"


def queue_recompute(team_id: int) -> None:
    """Queue the team's recompute after the settled delay; a broker that is down loses
    nothing (the sweep recomputes dirty teams)."""
    try:
        recompute_team_task.apply_async(
            (team_id,),
            countdown=settings.FMEA_RECOMPUTE_DELAY_SECONDS,
            retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0.2},
        )
    except Exception:  # the broker may be down: the sweep recomputes later
        logger.warning("Could not queue the recompute of team %s", team_id, exc_info=True)


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
