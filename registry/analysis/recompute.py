"""Keeping rollups and findings current: changes mark their team dirty, and when the
change commits, `recompute_requested` is sent with the teams to recompute.

The service queues nothing itself: `registry.analysis.signals` receives the signal and
queues the recompute task, so the tasks depend on this module and never the reverse.

Coalescing: within one transaction a team is marked and announced once, however many
rows change (an import of 10,000 failure modes queues one task). The task skips teams
that are no longer dirty, so a burst of transactions costs a handful of recomputes.
If the broker is down, the edit still commits; the periodic sweep picks the team up.
"""

import functools
import logging

from django.core.exceptions import ObjectDoesNotExist
from django.db import DatabaseError, connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from registry.models import (
    Action,
    Application,
    BusinessFunction,
    Component,
    Dependency,
    FailureMode,
    FindingSuppression,
    Incident,
    RecoveryTest,
    Step,
    TeamRecompute,
    Tier,
)

logger = logging.getLogger(__name__)

#: Sent once a transaction that marked teams dirty has committed; `team_ids`: the sorted
#: ids of those it found up to date (the others wait for a recompute already).
recompute_requested = Signal()


class _PendingRecomputes:
    """What the current transaction asks for: the teams to announce when it commits,
    and the teams it deletes (one per transaction)."""

    def __init__(self) -> None:
        self.team_ids: set[int] = set()
        self.deleted_team_ids: set[int] = set()
        # Marked outside any savepoint: only the whole transaction could undo the mark.
        self.settled: set[int] = set()
        # Teams this transaction found up to date: their recompute is to be queued.
        self.became_dirty: set[int] = set()

    def __call__(self) -> None:
        if not self.team_ids:
            return
        # Marked (again) now that the transaction has committed: the teams that were
        # waiting already, so that a recompute running meanwhile leaves them dirty; and
        # those a savepoint rolled back inside it may have unmarked while this set still
        # held them (the task skips teams that are not dirty). The others need not be:
        # one statement and one commit fewer per delivery that finds its team up to date.
        unsettled = self.team_ids - self.settled
        try:
            if unsettled:
                self.became_dirty |= mark_dirty(unsettled)
        except DatabaseError:  # e.g. the team was deleted since: nothing to recompute
            logger.warning("Could not mark teams %s dirty", sorted(unsettled), exc_info=True)
        # A team that was dirty already has its recompute queued, or running (a run that
        # leaves it dirty queues the next): an alert storm queues one task, not one a
        # delivery.
        queued = self.became_dirty & self.team_ids
        if queued:
            recompute_requested.send(sender=TeamRecompute, team_ids=sorted(queued))


def _pending() -> _PendingRecomputes:
    """The current transaction's pending recomputes, registered to run when it commits.

    Call only inside an atomic block. A savepoint rolled back with the registration
    discards it, so a new one is made.
    """
    connection = transaction.get_connection()
    pending = getattr(connection, "fmea_recompute", None)
    if pending is None or not any(
        callback is pending for _, callback, *_ in connection.run_on_commit
    ):
        pending = _PendingRecomputes()
        connection.fmea_recompute = pending
        transaction.on_commit(pending)
    return pending


def request_recompute(*team_ids: int) -> None:
    """Mark teams dirty in the current transaction and announce them when it commits.

    Teams being deleted in the transaction are left alone: their rows cascade away
    before the team's own row is deleted, and a TeamRecompute row written for them
    then would break the foreign key when the transaction commits.
    """
    team_ids = tuple(team_id for team_id in team_ids if team_id is not None)
    if not team_ids:
        return
    if not transaction.get_connection().in_atomic_block:
        # Autocommit: the change has committed; mark and queue in a transaction of our own.
        with transaction.atomic():
            request_recompute(*team_ids)
        return
    pending = _pending()
    new = set(team_ids) - pending.team_ids - pending.deleted_team_ids
    if not new:
        return
    # A team waiting for its recompute already is marked again only once this
    # transaction has committed (a statement of its own, `_PendingRecomputes`): marking
    # it here would hold its row locked until the commit, and every concurrent write
    # of the team (an alert storm) would queue behind that lock.
    marked = new - waiting_teams(new)
    if marked:
        pending.became_dirty |= mark_dirty(marked)
    pending.team_ids |= new
    if not any(transaction.get_connection().savepoint_ids):
        pending.settled |= marked


def forget_deleted_team(team_id: int) -> None:
    """The current transaction deletes the team: nothing of it is marked or announced."""
    pending = _pending()
    pending.deleted_team_ids.add(team_id)
    pending.team_ids.discard(team_id)


def waiting_teams(team_ids: set[int]) -> set[int]:
    """Those of the teams that are dirty (a plain read: no row lock)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote('team_id')} FROM {quote(TeamRecompute._meta.db_table)} "
            f"WHERE {quote('dirty')} AND {quote('team_id')} IN "
            f"({', '.join(['%s'] * len(team_ids))})",
            sorted(team_ids),
        )
        return {team_id for (team_id,) in cursor.fetchall()}


@functools.cache
def _mark_sql() -> str:
    """Mark one team dirty; returns whether the team was up to date until now (its
    `waiting_since` is then this request)."""
    table, quote = TeamRecompute._meta.db_table, connection.ops.quote_name
    dirty, requested, waiting = (
        quote(name) for name in ("dirty", "requested_at", "waiting_since")
    )
    return (
        f"INSERT INTO {quote(table)} ({quote('team_id')}, {dirty}, {requested}, {waiting}) "
        f"VALUES (%s, %s, %s, %s) "
        f"ON CONFLICT ({quote('team_id')}) DO UPDATE SET {dirty} = excluded.{dirty}, "
        f"{requested} = excluded.{requested}, "
        f"{waiting} = CASE WHEN {quote(table)}.{dirty} THEN {quote(table)}.{waiting} "
        f"ELSE excluded.{requested} END "
        f"RETURNING {quote('team_id')}, {waiting} = {requested}"
    )


def mark_dirty(team_ids: set[int]) -> set[int]:
    """Mark the teams dirty; returns those that were up to date until now, whose
    recompute must be queued (the others' is queued already, or running)."""
    # One statement per team (INSERT … ON CONFLICT DO UPDATE), written once: every
    # write of a team passes here (alert storms, imports).
    now = timezone.now()
    became_dirty = set()
    with connection.cursor() as cursor:
        for team_id in sorted(team_ids):  # rows locked in one order: no deadlock
            cursor.execute(_mark_sql(), [team_id, True, now, now])
            team_id, waiting_from_now = cursor.fetchone()
            if waiting_from_now:
                became_dirty.add(team_id)
    return became_dirty


def team_of(instance) -> list[int]:
    """The teams whose figures a changed row affects."""
    try:
        match instance:
            case (
                FailureMode()
                | Application()
                | Component()
                | BusinessFunction()
                | FindingSuppression()
                | RecoveryTest()
                | Incident()
            ):
                return [instance.team_id]
            case Action():
                return [instance.failure_mode.team_id]
            case Step():
                return [instance.application.team_id]
            case Dependency():
                return [instance.component.team_id]
            case Tier():
                return list(instance.applications.values_list("team_id", flat=True).distinct())
    except ObjectDoesNotExist:  # a parent deleted in the same cascade marks the team
        return []
    return []
