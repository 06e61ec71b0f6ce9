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

from registry.analysis.findings import refresh_findings
from registry.choices import ActionPriority, ActionStatus, FailureModeStatus
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


COUNTS = [name for name in FIGURES if name.endswith("_count")]


def per_application(queryset: QuerySet, application: str, tier: str, **aggregates) -> list:
    """One GROUP BY (application, tier) query; rows carry both keys."""
    return list(
        queryset.values(group_app=F(application), group_tier=F(tier))
        .annotate(**aggregates)
        .order_by()
    )


def merge(rows: list[dict]) -> dict:
    """Figures of a group from its applications' rows (counts add, the max is the max,
    the mean is recomputed from the sum)."""
    merged: dict = {name: 0 for name in COUNTS}
    merged.update(rpn_max=None, rpn_sum=0, findings_by_kind={})
    for row in rows:
        for name in COUNTS:
            merged[name] += row.get(name) or 0
        merged["rpn_sum"] += row.get("rpn_sum") or 0
        if row.get("rpn_max") is not None:
            merged["rpn_max"] = max(merged["rpn_max"] or 0, row["rpn_max"])
        for kind, count in row.get("findings_by_kind", {}).items():
            merged["findings_by_kind"][kind] = merged["findings_by_kind"].get(kind, 0) + count
    count = merged["failure_mode_count"]
    merged["rpn_mean"] = merged["rpn_sum"] / count if count else None
    return merged


def team_figures(team_id: int, today: datetime.date) -> tuple[dict, dict]:
    """(figures per tier id, figures per application id) of a team, from one GROUP BY
    query per source: failure modes, actions, applications and steps, findings."""
    rows: dict[tuple, dict] = {}

    def add(source: list[dict]) -> None:
        for row in source:
            key = (row.pop("group_app"), row.pop("group_tier"))
            rows.setdefault(key, {}).update(row)

    add(
        per_application(
            FailureMode.objects.filter(team_id=team_id),
            "step__application",
            "step__application__tier",
            **failure_mode_aggregates(),
        )
    )
    add(
        per_application(
            Action.objects.filter(failure_mode__team_id=team_id),
            "failure_mode__step__application",
            "failure_mode__step__application__tier",
            open_action_count=Count("id", filter=Q(status__in=OPEN_ACTIONS)),
            overdue_action_count=Count(
                "id", filter=Q(status__in=OPEN_ACTIONS, due_date__lt=today)
            ),
        )
    )
    add(
        per_application(
            Application.objects.filter(team_id=team_id),
            "id",
            "tier",
            application_count=Count("id", distinct=True),
            step_count=Count("steps", distinct=True),
        )
    )
    # Findings count under their application and tier; a tier's own findings (its
    # objectives) have no application.
    for finding in (
        Finding.objects.filter(team_id=team_id, tier__isnull=False)
        .values("application_id", "tier_id", "kind")
        .annotate(count=Count("id"))
        .order_by()
    ):
        row = rows.setdefault((finding["application_id"], finding["tier_id"]), {})
        by_kind = row.setdefault("findings_by_kind", {})
        by_kind[finding["kind"]] = finding["count"]
        row["finding_count"] = row.get("finding_count", 0) + finding["count"]

    by_tier: dict[int, list[dict]] = {}
    by_application: dict[int, dict] = {}
    for (app_id, tier_id), row in rows.items():
        by_tier.setdefault(tier_id, []).append(row)
        if app_id is not None:
            by_application[app_id] = merge([row])
    return {tier_id: merge(group) for tier_id, group in by_tier.items()}, by_application


@transaction.atomic
def refresh_rollups(team_id: int, now: datetime.datetime | None = None) -> None:
    """Replace the team's tier and application rollups."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    by_tier, by_application = team_figures(team_id, today)
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
