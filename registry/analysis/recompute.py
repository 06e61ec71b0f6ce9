"""Keeping rollups and findings current: changes mark their team dirty, and one
recompute per team is queued when the change commits.

Coalescing: within one transaction a team is marked and queued once, however many
rows change (an import of 10,000 failure modes queues one task). The task skips teams
that are no longer dirty, so a burst of transactions costs a handful of recomputes.
If the broker is down, the edit still commits; the periodic sweep picks the team up.
"""

import logging

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import DatabaseError, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.utils import timezone

from registry.models import (
    Action,
    Application,
    BusinessFunction,
    Component,
    Dependency,
    FailureMode,
    Step,
    Team,
    TeamRecompute,
    Tier,
)

logger = logging.getLogger(__name__)


class _PendingRecomputes:
    """What the current transaction asks for: the teams to queue when it commits, and
    the teams it deletes (one per transaction)."""

    def __init__(self) -> None:
        self.team_ids: set[int] = set()
        self.deleted_team_ids: set[int] = set()

    def __call__(self) -> None:
        from registry.tasks import recompute_team_task

        if not self.team_ids:
            return
        # Marked again now that the transaction has committed: a savepoint rolled back
        # inside it may have undone the mark while this set still held the team (the
        # task skips teams that are not dirty).
        try:
            mark_dirty(self.team_ids)
        except DatabaseError:  # e.g. the team was deleted since: nothing to recompute
            logger.warning("Could not mark teams %s dirty", sorted(self.team_ids), exc_info=True)
        for team_id in sorted(self.team_ids):
            try:
                recompute_team_task.apply_async(
                    (team_id,),
                    countdown=settings.FMEA_RECOMPUTE_DELAY_SECONDS,
                    retry=True,
                    retry_policy={"max_retries": 1, "interval_start": 0.2},
                )
            except Exception:  # the broker may be down: the sweep recomputes later
                logger.warning("Could not queue the recompute of team %s", team_id, exc_info=True)


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
    """Mark teams dirty in the current transaction and queue them when it commits.

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
    mark_dirty(new)
    pending.team_ids |= new


def mark_dirty(team_ids: set[int]) -> None:
    TeamRecompute.objects.bulk_create(
        [TeamRecompute(team_id=team_id) for team_id in team_ids], ignore_conflicts=True
    )
    TeamRecompute.objects.filter(team_id__in=team_ids).update(
        dirty=True, requested_at=timezone.now()
    )


def team_of(instance) -> list[int]:
    """The teams whose figures a changed row affects."""
    try:
        match instance:
            case FailureMode() | Application() | Component() | BusinessFunction():
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


def on_change(sender, instance, **kwargs) -> None:
    if kwargs.get("raw"):  # fixtures
        return
    request_recompute(*team_of(instance))


def on_team_delete(sender, instance: Team, **kwargs) -> None:
    """Sent before the cascade: nothing of a team being deleted is marked or queued."""
    pending = _pending()
    pending.deleted_team_ids.add(instance.pk)
    pending.team_ids.discard(instance.pk)


def on_regions_change(sender, instance, action: str, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        request_recompute(*team_of(instance))


def connect() -> None:
    for model in (
        FailureMode,
        Action,
        Step,
        Application,
        Component,
        BusinessFunction,
        Dependency,
        Tier,
    ):
        post_save.connect(on_change, sender=model, dispatch_uid=f"recompute-save-{model.__name__}")
        post_delete.connect(
            on_change, sender=model, dispatch_uid=f"recompute-delete-{model.__name__}"
        )
    for through in (Application.regions.through, Component.regions.through):
        m2m_changed.connect(
            on_regions_change, sender=through, dispatch_uid=f"recompute-m2m-{through.__name__}"
        )
    pre_delete.connect(on_team_delete, sender=Team, dispatch_uid="recompute-team-delete")
