"""The dashboard's figures of one team, computed by the database: a fixed number of
queries whatever the number of rows."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Avg, Count, F, Max, Q, QuerySet, Subquery, Sum, Window
from django.db.models.functions import Coalesce

from registry.choices import OPEN_FAILURE_MODE_STATUSES, ActionPriority, FindingSeverity
from registry.models import Action, FailureMode, Finding, Tier
from registry.ordering import ranked


@dataclass(frozen=True)
class TierFigures:
    """A tier, its objectives and the figures of one team's failure modes in it."""

    tier: Tier
    failure_modes: int = 0
    open: int = 0
    max_rpn: int | None = None
    mean_rpn: float | None = None
    over_threshold: int = 0
    ap_high: int = 0
    overdue_actions: int = 0


def tier_figures(team_id: int) -> list[TierFigures]:
    """One entry per tier with the team's rollup figures (three queries).

    "Open" counts failure modes still open or being mitigated; "over threshold" counts
    those whose RPN is above their tier's RPN threshold. The dashboard reads its tier
    cards from this function only, so stored rollups can replace it in one place.
    """
    per_tier = {
        row.pop("tier_id"): row
        for row in FailureMode.objects.for_team(team_id)
        .values(tier_id=F("step__application__tier_id"))
        .annotate(
            failure_modes=Count("id"),
            open=Count("id", filter=Q(status__in=OPEN_FAILURE_MODE_STATUSES)),
            max_rpn=Max("rpn"),
            mean_rpn=Avg("rpn"),
            over_threshold=Count(
                "id", filter=Q(rpn__gt=F("step__application__tier__rpn_threshold"))
            ),
            ap_high=Count("id", filter=Q(action_priority=ActionPriority.HIGH)),
        )
        .order_by()
    }
    overdue = dict(
        Action.objects.for_team(team_id)
        .overdue()
        .values_list("failure_mode__step__application__tier_id")
        .annotate(count=Count("id"))
        .order_by()
    )
    return [
        TierFigures(
            tier=tier, **per_tier.get(tier.pk, {}), overdue_actions=overdue.get(tier.pk, 0)
        )
        for tier in Tier.objects.order_by("level")
    ]


def heat_map_counts(team_id: int) -> dict[tuple[int, int], int]:
    """Number of the team's failure modes per (severity, probability) pair."""
    rows = (
        FailureMode.objects.for_team(team_id)
        .values_list("severity", "probability")
        .annotate(count=Count("id"))
        .order_by()
    )
    return {(severity, probability): count for severity, probability, count in rows}


@dataclass(frozen=True)
class ParetoItem:
    id: int
    mode: str
    rpn: int
    action_priority: str
    step: str
    application: str
    cumulative_share: float  # percent of the team's total RPN, up to and with this item


def pareto(team_id: int, limit: int = 20) -> list[ParetoItem]:
    """The team's top failure modes by RPN with the cumulative share of the total RPN.

    One query. The running total is a window over the rows whose RPN reaches the
    `limit`-th highest (every row ranked before a top row is among them), not over all
    the team's rows, which would have to be read and sorted in full; the grand total is
    a sum the (team, -rpn, id) index answers.
    """
    order = [F("rpn").desc(), F("id").asc()]
    team_rows = FailureMode.objects.for_team(team_id)
    lowest_shown = team_rows.order_by(*order).values("rpn")[limit - 1 : limit]
    total = team_rows.order_by().values("team").annotate(total=Sum("rpn")).values("total")
    rows = (
        team_rows.filter(rpn__gte=Coalesce(Subquery(lowest_shown), 0))
        .annotate(running=Window(Sum("rpn"), order_by=order), total=Subquery(total))
        .order_by(*order)
        .values(
            "id",
            "mode",
            "rpn",
            "action_priority",
            "running",
            "total",
            step_name=F("step__name"),
            application_name=F("step__application__name"),
        )[:limit]
    )
    return [
        ParetoItem(
            id=row["id"],
            mode=row["mode"],
            rpn=row["rpn"],
            action_priority=row["action_priority"],
            step=row["step_name"],
            application=row["application_name"],
            cumulative_share=100 * row["running"] / row["total"] if row["total"] else 0.0,
        )
        for row in rows
    ]


def overdue_actions(team_id: int, limit: int = 20) -> QuerySet:
    """The team's overdue actions, oldest due date first, with their failure mode."""
    return (
        Action.objects.for_team(team_id)
        .overdue()
        .select_related("failure_mode__step__application")
        .order_by("due_date", "id")[:limit]
    )


def findings(team_id: int, application_id: int | None = None, limit: int = 50) -> list[Finding]:
    """The team's resilience findings (of one application, if given), most severe first.

    The findings engine stores them (registry.analysis.findings) when the register changes.
    """
    rows = Finding.objects.for_team(team_id).select_related("application", "step")
    if application_id is not None:
        rows = rows.filter(application_id=application_id)
    severity = ranked("severity", FindingSeverity.values)
    return list(rows.order_by(severity, "kind", "key")[:limit])
