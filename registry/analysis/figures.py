"""Every figure the register shows about a team, defined once.

The aggregates themselves are queryset methods (`FailureMode.objects.with_figures()`,
`Action.objects.with_figures()`, in registry.models.failure_modes); this module groups
them per application and tier and merges the groups. The recompute stores the result
as TierRollup and ApplicationRollup rows (registry.analysis.rollups), and those rows are
what the dashboard, the API and a whole-team report read. A report on part of a team
computes with the same functions over its own rows. The heat map and the Pareto chart
are one function each, for the dashboard and the reports alike.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Window,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from registry.choices import OPEN_ACTION_STATUSES, ActionPriority, FindingSeverity
from registry.models import (
    Action,
    Application,
    FailureMode,
    Finding,
    FindingSuppression,
    Step,
    TeamRecompute,
    Tier,
    TierRollup,
)
from registry.models.failure_modes import open_failure_modes, over_threshold
from registry.models.rollups import FIGURE_NAMES, no_figures
from registry.ordering import ranked

#: Figures that add up across groups (counts and the RPN sum); the others are the RPN
#: maximum, the mean (recomputed from the sum) and the findings counted by kind.
ADDED = tuple(name for name, empty in no_figures().items() if empty == 0)

Group = tuple[int | None, int | None]  # (application id, tier id)


def figures_by_group(
    *,
    failure_modes: QuerySet,
    actions: QuerySet,
    findings: QuerySet | None = None,
    applications: QuerySet | None = None,
    today: datetime.date,
) -> dict[Group, dict]:
    """Figures per (application, tier), from one GROUP BY query per source given.

    Findings count under their application and tier; a tier's own findings (about its
    objectives) have no application. Sources left out leave their figures at zero.
    """
    rows: dict[Group, dict] = {}

    def add(source: QuerySet) -> None:
        for row in source:
            key = (row.pop("group_app"), row.pop("group_tier"))
            rows.setdefault(key, {}).update(row)

    add(
        failure_modes.with_figures(
            group_app=F("step__application"), group_tier=F("step__application__tier")
        )
    )
    add(
        actions.with_figures(
            today,
            group_app=F("failure_mode__step__application"),
            group_tier=F("failure_mode__step__application__tier"),
        )
    )
    if applications is not None:
        add(
            applications.values(group_app=F("id"), group_tier=F("tier"))
            .annotate(
                application_count=Count("id", distinct=True),
                step_count=Count("steps", distinct=True),
            )
            .order_by()
        )
    if findings is not None:
        for finding in (
            findings.filter(tier__isnull=False)
            .values("application_id", "tier_id", "kind")
            .annotate(count=Count("id"), assumed=Count("id", filter=Q(rests_on_assumption=True)))
            .order_by()
        ):
            row = rows.setdefault((finding["application_id"], finding["tier_id"]), {})
            by_kind = row.setdefault("findings_by_kind", {})
            by_kind[finding["kind"]] = finding["count"]
            row["finding_count"] = row.get("finding_count", 0) + finding["count"]
            row["assumed_finding_count"] = row.get("assumed_finding_count", 0) + finding["assumed"]
    return rows


def merge(rows: list[dict]) -> dict:
    """The figures of a group from its parts' rows: counts and sums add, the maximum is
    the maximum, the mean is the sum over the count."""
    merged = no_figures()
    for row in rows:
        for name in ADDED:
            merged[name] += row.get(name) or 0
        if row.get("rpn_max") is not None:
            merged["rpn_max"] = max(merged["rpn_max"] or 0, row["rpn_max"])
        for kind, count in row.get("findings_by_kind", {}).items():
            merged["findings_by_kind"][kind] = merged["findings_by_kind"].get(kind, 0) + count
    count = merged["failure_mode_count"]
    merged["rpn_mean"] = merged["rpn_sum"] / count if count else None
    return merged


def per_tier(rows: dict[Group, dict]) -> dict[int, dict]:
    """{tier id: figures}."""
    by_tier: dict[int, list[dict]] = {}
    for (_, tier_id), row in rows.items():
        by_tier.setdefault(tier_id, []).append(row)
    return {tier_id: merge(group) for tier_id, group in by_tier.items()}


def per_application(rows: dict[Group, dict]) -> dict[int, dict]:
    """{application id: figures}."""
    return {app_id: merge([row]) for (app_id, _), row in rows.items() if app_id is not None}


def team_figures(team_id: int, today: datetime.date) -> dict[Group, dict]:
    """All the figures of a team, per (application, tier): what the rollups store."""
    return figures_by_group(
        failure_modes=FailureMode.objects.for_team(team_id),
        actions=Action.objects.for_team(team_id),
        findings=Finding.objects.for_team(team_id).unsuppressed(today),
        applications=Application.objects.for_team(team_id),
        today=today,
    )


@dataclass(frozen=True)
class TierFigures:
    """A tier (None: all tiers together) and the figures of a team's rows in it.

    The figures read as attributes by their RiskFigures names (`failure_mode_count`,
    `rpn_max`, ...). `computed_at` is when they were computed.
    """

    tier: Tier | None
    figures: dict = field(default_factory=no_figures)
    computed_at: datetime.datetime | None = None

    def __getattr__(self, name: str):
        if name in FIGURE_NAMES:
            return self.figures.get(name, no_figures()[name])
        raise AttributeError(name)


def tier_list(figures: dict[int, dict], tiers: Iterable[Tier], computed_at) -> list[TierFigures]:
    """One entry per tier, in the tiers' order (by level); a tier without rows has zero
    figures. A row that carries its own `computed_at` (a stored rollup) keeps it."""
    result = []
    for tier in tiers:
        row = dict(figures.get(tier.pk, {}))
        when = row.pop("computed_at", computed_at)
        result.append(TierFigures(tier=tier, figures={**no_figures(), **row}, computed_at=when))
    return result


def all_tiers(rows: list[TierFigures]) -> TierFigures:
    """The tiers' figures added up (the mean weighted by failure modes)."""
    return TierFigures(
        tier=None,
        figures=merge([row.figures for row in rows]),
        computed_at=min((row.computed_at for row in rows if row.computed_at), default=None),
    )


def stored_tier_figures(team_id: int) -> dict[int, dict]:
    """{tier id: figures and `computed_at`} of the team's stored TierRollup rows (one
    query)."""
    return {
        row.pop("tier_id"): row
        for row in TierRollup.objects.for_team(team_id)
        .order_by()
        .values("tier_id", "computed_at", *FIGURE_NAMES)
    }


@dataclass(frozen=True)
class TeamFigures:
    """What the dashboard's tier cards show: the stored rollups and their state."""

    tiers: list[TierFigures]
    computed_at: datetime.datetime | None  # None: never stored, computed for this page
    recomputing: bool  # a change since is waiting for its recompute

    @property
    def failure_mode_count(self) -> int:
        return sum(row.failure_mode_count for row in self.tiers)

    @property
    def computed_today(self) -> bool:
        return bool(self.computed_at) and (
            timezone.localdate(self.computed_at) == timezone.localdate()
        )


def dashboard_tier_figures(team_id: int) -> TeamFigures:
    """The tiers with the team's stored rollups, and whether a recompute is due, in one
    query (each tier joined to this team's TierRollup row).

    A team never computed (a new team before its first recompute) has no rollups yet:
    its figures are computed for the page with the same definitions (two queries more),
    without the findings and application counts the tier cards do not show.
    """
    tiers = list(
        Tier.objects.order_by("level").annotate(
            stored=FilteredRelation("rollups", condition=Q(rollups__team_id=team_id)),
            stored_computed_at=F("stored__computed_at"),
            recomputing=Exists(TeamRecompute.objects.filter(team_id=team_id, dirty=True)),
            **{f"stored_{name}": F(f"stored__{name}") for name in FIGURE_NAMES},
        )
    )
    recomputing = any(tier.recomputing for tier in tiers)
    stored = {
        tier.pk: {
            "computed_at": tier.stored_computed_at,
            **{name: getattr(tier, f"stored_{name}") for name in FIGURE_NAMES},
        }
        for tier in tiers
        if tier.stored_computed_at is not None
    }
    if stored:
        computed_at = min(row["computed_at"] for row in stored.values())
        return TeamFigures(tier_list(stored, tiers, None), computed_at, recomputing)
    rows = figures_by_group(
        failure_modes=FailureMode.objects.for_team(team_id),
        actions=Action.objects.for_team(team_id),
        today=timezone.localdate(),
    )
    return TeamFigures(tier_list(per_tier(rows), tiers, None), None, recomputing)


def current_rollups_computed_at(team_id: int) -> datetime.datetime | None:
    """When the team's stored rollups were computed, if no change has happened since
    (None: never computed, or a recompute is due)."""
    state = TeamRecompute.objects.filter(team_id=team_id).values("dirty", "computed_at").first()
    if state is None or state["dirty"]:
        return None
    return state["computed_at"]


#: The heat maps a page can switch between: key -> (rows, columns).
HEAT_MAP_AXES = {
    "sp": ("severity", "probability"),
    "sd": ("severity", "detectability"),
    "pd": ("probability", "detectability"),
}


def heat_map_counts(
    failure_modes: QuerySet, rows: str = "severity", columns: str = "probability"
) -> dict[tuple[int, int], int]:
    """Number of failure modes per (rows, columns) pair of ratings (one query)."""
    pairs = failure_modes.values_list(rows, columns).annotate(count=Count("id")).order_by()
    return {(row, column): count for row, column, count in pairs}


@dataclass(frozen=True)
class ParetoItem:
    id: int
    mode: str
    rpn: int
    action_priority: str
    step: str
    application: str
    cumulative_share: float  # percent of the total RPN, up to and with this item

    @property
    def label(self) -> str:
        return f"{self.mode} ({self.application} / {self.step})"


def pareto(failure_modes: QuerySet, limit: int = 20) -> list[ParetoItem]:
    """One team's top failure modes by RPN with their cumulative share of the total RPN.

    One query. The running total is a window over the rows whose RPN reaches the
    `limit`-th highest (every row ranked before a top row is among them), not over all
    the rows, which would have to be read and sorted in full; the grand total is a sum
    the (team, -rpn, id) index answers.
    """
    order = [F("rpn").desc(), F("id").asc()]
    rows = failure_modes.order_by()
    lowest_shown = rows.order_by(*order).values("rpn")[limit - 1 : limit]
    total = rows.values("team").annotate(total=Sum("rpn")).values("total")
    top = (
        rows.filter(rpn__gte=Coalesce(Subquery(lowest_shown), 0))
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
        for row in top
    ]


def steps_needing_attention(team_id: int, today: datetime.date | None = None) -> QuerySet:
    """The team's worksheets (steps) with work waiting, most urgent first (one query):
    open failure modes of AP High or over the tier's RPN threshold, overdue actions, or
    a review past the tier's interval."""
    today = today or timezone.localdate()
    fm = "failure_modes__"
    open_fm = open_failure_modes(fm)
    review_due = Q(last_reviewed_at__isnull=True)
    for tier in Tier.objects.only("pk", "review_interval_days"):
        since = timezone.now() - datetime.timedelta(days=tier.review_interval_days)
        review_due |= Q(application__tier=tier, last_reviewed_at__lt=since)
    return (
        Step.objects.for_team(team_id)
        .annotate(
            ap_high_open=Count(
                "failure_modes",
                filter=open_fm & Q(failure_modes__action_priority=ActionPriority.HIGH),
                distinct=True,
            ),
            over_threshold_open=Count(
                "failure_modes", filter=open_fm & over_threshold(fm), distinct=True
            ),
            overdue_action_count=Count(
                "failure_modes__actions",
                filter=Q(
                    failure_modes__actions__status__in=OPEN_ACTION_STATUSES,
                    failure_modes__actions__due_date__lt=today,
                ),
                distinct=True,
            ),
            review_due=ExpressionWrapper(review_due, output_field=BooleanField()),
        )
        .filter(
            Q(ap_high_open__gt=0)
            | Q(over_threshold_open__gt=0)
            | Q(overdue_action_count__gt=0)
            | Q(review_due=True)
        )
        .select_related("application__tier")
        .order_by(
            "-ap_high_open",
            "-over_threshold_open",
            "-overdue_action_count",
            "application__tier__level",
            "application__name",
            "order",
        )
    )


def overdue_actions(team_id: int, limit: int = 20) -> QuerySet:
    """The team's overdue actions, oldest due date first, with their failure mode."""
    return (
        Action.objects.for_team(team_id)
        .overdue()
        .select_related("failure_mode__step__application")
        .in_due_order()[:limit]
    )


#: Most severe first: critical, high, medium, low.
SEVERITY_RANK = ranked("severity", FindingSeverity.values)


def findings(team_id: int, application_id: int | None = None, limit: int = 50) -> list[Finding]:
    """The team's resilience findings (of one application, if given), most severe first.

    The findings engine stores them (registry.analysis.findings) when the register changes.
    """
    rows = Finding.objects.for_team(team_id).unsuppressed().select_related("application", "step")
    if application_id is not None:
        rows = rows.filter(application_id=application_id)
    return list(rows.order_by(SEVERITY_RANK, "kind", "key")[:limit])


def suppressed_findings(team_id: int, application_id: int | None = None) -> list[Finding]:
    """The team's findings set aside by a suppression in force, with it (few rows: each
    is a decision someone made)."""
    rows = Finding.objects.for_team(team_id).suppressed().select_related("application", "step")
    if application_id is not None:
        rows = rows.filter(application_id=application_id)
    rows = rows.prefetch_related(
        Prefetch(
            "suppressions",
            queryset=FindingSuppression.objects.filter(ended_at__isnull=True).select_related(
                "created_by"
            ),
            to_attr="active_suppressions",
        )
    )
    return list(rows.order_by(SEVERITY_RANK, "kind", "key"))
