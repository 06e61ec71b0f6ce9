"""The wiring that keeps a team's figures current: model signals mark the team dirty
(registry.analysis.recompute), and the recompute task is queued when that commits.

An interface module, connected in `RegistryConfig.ready()`: it imports the service and
the tasks; neither imports it.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from registry.analysis import recompute, tasks
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
    Team,
    Tier,
)

#: Rows whose changes alter a team's findings or rollups.
WATCHED = (
    FailureMode,
    Action,
    Step,
    Application,
    Component,
    BusinessFunction,
    Dependency,
    Tier,
    FindingSuppression,
    RecoveryTest,
    Incident,
)


def queue_recomputes(sender, team_ids: list[int], **kwargs) -> None:
    """One recompute task per team."""
    for team_id in team_ids:
        tasks.queue_recompute(team_id)


def on_change(sender, instance, **kwargs) -> None:
    if kwargs.get("raw"):  # fixtures
        return
    recompute.request_recompute(*recompute.team_of(instance))


def on_team_delete(sender, instance: Team, **kwargs) -> None:
    """Sent before the cascade: nothing of a team being deleted is marked or queued."""
    recompute.forget_deleted_team(instance.pk)


def on_regions_change(sender, instance, action: str, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        recompute.request_recompute(*recompute.team_of(instance))


def connect() -> None:
    recompute.recompute_requested.connect(queue_recomputes, dispatch_uid="recompute-queue")
    for model in WATCHED:
        post_save.connect(on_change, sender=model, dispatch_uid=f"recompute-save-{model.__name__}")
        post_delete.connect(
            on_change, sender=model, dispatch_uid=f"recompute-delete-{model.__name__}"
        )
    for through in (
        Application.regions.through,
        Component.regions.through,
        Component.replica_regions.through,
        Component.backup_copy_regions.through,
        Incident.failure_modes.through,
    ):
        m2m_changed.connect(
            on_regions_change, sender=through, dispatch_uid=f"recompute-m2m-{through.__name__}"
        )
    pre_delete.connect(on_team_delete, sender=Team, dispatch_uid="recompute-team-delete")
