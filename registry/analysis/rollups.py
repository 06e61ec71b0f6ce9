"""Tier and application rollups: a team's risk figures (registry.analysis.figures),
stored.

The team's rows are replaced in one transaction so that readers never see a
half-written rollup; the dashboard, the API and whole-team reports read them.
"""

import datetime
import time

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from registry.analysis import figures
from registry.analysis.findings import lock_team, refresh_findings
from registry.db.bulk import upsert_rows
from registry.models import (
    Application,
    ApplicationRollup,
    RollupSnapshot,
    Team,
    TeamRecompute,
    Tier,
    TierRollup,
)
from registry.models.rollups import FIGURE_NAMES, no_figures
from registry.webhooks.events import FindingWatch


@transaction.atomic
def refresh_rollups(team_id: int, now: datetime.datetime | None = None) -> None:
    """Replace the team's tier and application rollups: one upsert of each kind of row,
    and the rows of applications no longer the team's deleted."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    rows = figures.team_figures(team_id, today)
    by_tier, by_application = figures.per_tier(rows), figures.per_application(rows)
    written = [*FIGURE_NAMES, "computed_at"]
    upsert_rows(
        TierRollup,
        [
            {"tier_id": tier_id, **no_figures(), **by_tier.get(tier_id, {})}
            for tier_id in Tier.objects.values_list("id", flat=True)
        ],
        {"team_id": team_id, "computed_at": now},
        unique_fields=["team", "tier"],
        update_fields=written,
    )
    application_ids = list(
        Application.objects.filter(team_id=team_id).order_by().values_list("id", flat=True)
    )
    # An application moved from another team takes its rollup row along.
    upsert_rows(
        ApplicationRollup,
        [
            {"application_id": app_id, **no_figures(), **by_application.get(app_id, {})}
            for app_id in application_ids
        ],
        {"team_id": team_id, "computed_at": now},
        unique_fields=["application"],
        update_fields=["team", *written],
    )
    ApplicationRollup.objects.filter(team_id=team_id).exclude(
        application_id__in=application_ids
    ).delete()


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
        watch = FindingWatch(team_id)
        refresh_findings(team_id, started)
        watch.emit(started)
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
                **{name: getattr(rollup, name) for name in [*FIGURE_NAMES, "computed_at"]},
            )
            for rollup in rollups
        ],
        update_conflicts=True,
        unique_fields=["team", "tier", "date"],
        update_fields=[*FIGURE_NAMES, "computed_at"],
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
