"""Tier and application rollups: a team's risk figures, aggregated in SQL.

A few GROUP BY queries per team (failure modes, actions, applications and steps,
findings), merged by group key; the team's rows are replaced in one transaction so
that readers never see a half-written rollup.
"""

import datetime
import time

from django.db import connection, transaction
from django.db.models import Avg, Count, F, Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from registry.choices import ActionPriority, ActionStatus, FailureModeStatus
from registry.findings import refresh_findings
from registry.models import (
    Action,
    Application,
    ApplicationRollup,
    FailureMode,
    Finding,
    RollupSnapshot,
    Team,
    TeamRecompute,
    Tier,
    TierRollup,
)

OPEN_FAILURE_MODES = (FailureModeStatus.OPEN, FailureModeStatus.MITIGATING)
OPEN_ACTIONS = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)
FIGURES = [
    "application_count",
    "step_count",
    "failure_mode_count",
    "open_count",
    "rpn_max",
    "rpn_mean",
    "rpn_sum",
    "over_threshold_count",
    "ap_high_count",
    "ap_medium_count",
    "ap_low_count",
    "revised_ap_high_count",
    "revised_ap_medium_count",
    "revised_ap_low_count",
    "open_action_count",
    "overdue_action_count",
    "finding_count",
    "findings_by_kind",
]


def failure_mode_aggregates() -> dict:
    def count(condition: Q) -> Count:
        return Count("id", filter=condition)

    return {
        "failure_mode_count": Count("id"),
        "open_count": count(Q(status__in=OPEN_FAILURE_MODES)),
        "rpn_max": Max("rpn"),
        "rpn_mean": Avg("rpn"),
        "rpn_sum": Coalesce(Sum("rpn"), 0),
        "over_threshold_count": count(Q(rpn__gt=F("step__application__tier__rpn_threshold"))),
        **{
            f"{prefix}ap_{name}_count": count(Q(**{f"{prefix}action_priority": value}))
            for prefix in ("", "revised_")
            for name, value in (
                ("high", ActionPriority.HIGH),
                ("medium", ActionPriority.MEDIUM),
                ("low", ActionPriority.LOW),
            )
        },
    }


def grouped(queryset: QuerySet, group: str, **aggregates) -> dict:
    """{group value: {aggregate: value}} from one GROUP BY query."""
    return {
        row.pop(group): row for row in queryset.values(group).annotate(**aggregates).order_by()
    }


def team_figures(team_id: int, level: str, today: datetime.date) -> dict:
    """Figures per group for a team; `level` is "tier" or "application"."""
    fm_group = {"tier": "step__application__tier", "application": "step__application"}[level]
    action_group = f"failure_mode__{fm_group}"
    app_group = {"tier": "tier", "application": "id"}[level]
    finding_group = {"tier": "tier", "application": "application"}[level]

    failure_modes = grouped(
        FailureMode.objects.filter(team_id=team_id), fm_group, **failure_mode_aggregates()
    )
    actions = grouped(
        Action.objects.filter(failure_mode__team_id=team_id),
        action_group,
        open_action_count=Count("id", filter=Q(status__in=OPEN_ACTIONS)),
        overdue_action_count=Count("id", filter=Q(status__in=OPEN_ACTIONS, due_date__lt=today)),
    )
    structure = grouped(
        Application.objects.filter(team_id=team_id),
        app_group,
        application_count=Count("id", distinct=True),
        step_count=Count("steps", distinct=True),
    )
    findings: dict = {}
    for row in (
        Finding.objects.filter(team_id=team_id, **{f"{finding_group}__isnull": False})
        .values(finding_group, "kind")
        .annotate(count=Count("id"))
        .order_by()
    ):
        by_kind = findings.setdefault(row[finding_group], {})
        by_kind[row["kind"]] = row["count"]

    figures = {}
    for key in {*failure_modes, *actions, *structure, *findings}:
        by_kind = findings.get(key, {})
        figures[key] = {
            **failure_modes.get(key, {}),
            **actions.get(key, {}),
            **structure.get(key, {}),
            "finding_count": sum(by_kind.values()),
            "findings_by_kind": by_kind,
        }
    return figures


@transaction.atomic
def refresh_rollups(team_id: int, now: datetime.datetime | None = None) -> None:
    """Replace the team's tier and application rollups."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    by_tier = team_figures(team_id, "tier", today)
    by_application = team_figures(team_id, "application", today)
    TierRollup.objects.filter(team_id=team_id).delete()
    TierRollup.objects.bulk_create(
        TierRollup(team_id=team_id, tier_id=tier_id, computed_at=now, **by_tier.get(tier_id, {}))
        for tier_id in Tier.objects.values_list("id", flat=True)
    )
    ApplicationRollup.objects.filter(team_id=team_id).delete()
    ApplicationRollup.objects.bulk_create(
        ApplicationRollup(
            team_id=team_id,
            application_id=application_id,
            computed_at=now,
            **by_application.get(application_id, {}),
        )
        for application_id in Application.objects.filter(team_id=team_id).values_list(
            "id", flat=True
        )
    )


def lock_team(team_id: int) -> None:
    """Serialise recomputes of one team (PostgreSQL; SQLite serialises all writers)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x464D4541, team_id])


def recompute_team(team_id: int) -> TeamRecompute:
    """Recompute the team's findings and rollups, and mark it up to date.

    Idempotent and safe to run concurrently: runs of one team take turns, and each
    replaces the team's rows with a computation from scratch. The dirty flag is
    cleared only if no change was requested after this run started.
    """
    started = timezone.now()
    clock = time.perf_counter()
    with transaction.atomic():
        lock_team(team_id)
        refresh_findings(team_id, started)
        refresh_rollups(team_id, started)
        TeamRecompute.objects.get_or_create(team_id=team_id)
        TeamRecompute.objects.filter(team_id=team_id).update(
            computed_at=started, duration_ms=round((time.perf_counter() - clock) * 1000)
        )
        TeamRecompute.objects.filter(
            Q(requested_at__isnull=True) | Q(requested_at__lte=started), team_id=team_id
        ).update(dirty=False)
    return TeamRecompute.objects.get(team_id=team_id)


def write_snapshots(team_id: int, date: datetime.date) -> int:
    """Copy the team's tier rollups into the day's snapshots (replacing that day's)."""
    rollups = list(TierRollup.objects.filter(team_id=team_id))
    RollupSnapshot.objects.bulk_create(
        [
            RollupSnapshot(
                team_id=team_id,
                tier_id=rollup.tier_id,
                date=date,
                **{name: getattr(rollup, name) for name in [*FIGURES, "computed_at"]},
            )
            for rollup in rollups
        ],
        update_conflicts=True,
        unique_fields=["team", "tier", "date"],
        update_fields=[*FIGURES, "computed_at"],
    )
    return len(rollups)


def nightly(date: datetime.date | None = None) -> int:
    """Recompute every team and write the day's snapshots; returns the team count."""
    date = date or timezone.localdate()
    team_ids = list(Team.objects.values_list("id", flat=True))
    for team_id in team_ids:
        recompute_team(team_id)
        write_snapshots(team_id, date)
    return len(team_ids)
