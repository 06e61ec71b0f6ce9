"""The figures a report shows, for its scope, computed by the database.

The tier table uses the rollups' own aggregate definitions (`rollups.failure_mode_aggregates`),
so for a whole-team scope it shows the numbers of the stored TierRollup rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, Value, When, Window
from django.utils import timezone

from registry.analysis import rollups
from registry.choices import ActionPriority, ActionStatus, FindingSeverity
from registry.models import Action, Finding, Tier
from registry.reports.scope import Scope

SEVERITY_RANK = Case(
    *[When(severity=value, then=Value(rank)) for rank, value in enumerate(FindingSeverity.values)],
    default=Value(len(FindingSeverity.values)),
    output_field=IntegerField(),
)


@dataclass(frozen=True)
class TierRow:
    tier: Tier | None  # None: all tiers together
    failure_mode_count: int = 0
    open_count: int = 0
    rpn_max: int | None = None
    rpn_mean: float | None = None
    rpn_sum: int = 0
    over_threshold_count: int = 0
    ap_high_count: int = 0
    ap_medium_count: int = 0
    ap_low_count: int = 0
    revised_ap_high_count: int = 0
    revised_ap_medium_count: int = 0
    revised_ap_low_count: int = 0
    open_action_count: int = 0
    overdue_action_count: int = 0
    finding_count: int = 0


def findings(scope: Scope) -> QuerySet:
    """The team's findings about what the scope covers.

    A finding about a failure mode counts when the failure mode is in scope; the others
    (about applications, steps, components, tiers) when their application or tier is.
    """
    rows = Finding.objects.filter(team_id=scope.team_id).select_related(
        "application", "step", "tier"
    )
    if scope.is_whole_team:
        return rows
    # A semi-join on the scoped failure modes' ids: the team's findings are read once,
    # not joined row by row to failure modes, steps and applications.
    about_failure_mode = Q(failure_mode_id__in=scope.failure_modes().values("id"))
    structural = Q(failure_mode__isnull=True)
    if scope.applications:
        structural &= Q(application_id__in=scope.applications)
    if scope.tiers:
        structural &= Q(tier__level__in=scope.tiers) | Q(application__tier__level__in=scope.tiers)
    return rows.filter(about_failure_mode | structural)


def ranked_findings(scope: Scope) -> QuerySet:
    return (
        findings(scope)
        .annotate(severity_rank=SEVERITY_RANK)
        .order_by("severity_rank", "kind", "key")
    )


def tier_label(tier: Tier) -> str:
    """ "Tier 1 - mission critical"; the level is added when the name lacks it."""
    prefix = f"Tier {tier.level}"
    return tier.name if tier.name.startswith(prefix) else f"{prefix}: {tier.name}"


def grouped(queryset: QuerySet, group: str, **aggregates) -> dict:
    """{group value: {aggregate: value}} from one GROUP BY query."""
    rows = queryset.values(group).annotate(**aggregates).order_by()
    return {row.pop(group): row for row in rows}


def tier_rows(scope: Scope) -> list[TierRow]:
    """One row per tier (all tiers, or the scope's) with the rollup figures."""
    today = timezone.localdate()
    by_failure_modes = grouped(
        scope.failure_modes(),
        "step__application__tier",
        **rollups.failure_mode_aggregates(),
    )
    by_actions = grouped(
        Action.objects.filter(scope.condition("failure_mode__")),
        "failure_mode__step__application__tier",
        open_action_count=Count("id", filter=Q(status__in=rollups.OPEN_ACTIONS)),
        overdue_action_count=Count(
            "id", filter=Q(status__in=rollups.OPEN_ACTIONS, due_date__lt=today)
        ),
    )
    by_findings = dict(
        findings(scope)
        .filter(tier__isnull=False)
        .values_list("tier")
        .annotate(count=Count("id"))
        .order_by()
    )
    tiers = Tier.objects.order_by("level")
    if scope.tiers:
        tiers = tiers.filter(level__in=scope.tiers)
    return [
        TierRow(
            tier=tier,
            **by_failure_modes.get(tier.pk, {}),
            **by_actions.get(tier.pk, {}),
            finding_count=by_findings.get(tier.pk, 0),
        )
        for tier in tiers
    ]


def all_tiers(rows: list[TierRow]) -> TierRow:
    """The tier rows added up (the mean weighted by failure modes)."""
    counted = [row for row in rows if row.failure_mode_count]
    count = sum(row.failure_mode_count for row in rows)
    rpn_sum = sum(row.rpn_sum for row in rows)
    summed = {
        name: sum(getattr(row, name) for row in rows)
        for name in TierRow.__dataclass_fields__
        if name not in ("tier", "rpn_max", "rpn_mean")
    }
    return TierRow(
        tier=None,
        **summed,
        rpn_max=max((row.rpn_max for row in counted), default=None),
        rpn_mean=rpn_sum / count if count else None,
    )


def priority_counts(queryset: QuerySet) -> dict[str, dict[str, int]]:
    """{"current": {"H": n, ...}, "revised": {...}} for the failure modes."""
    aggregates = {
        f"{prefix}{value}": Count("id", filter=Q(**{f"{prefix}action_priority": value}))
        for prefix in ("", "revised_")
        for value in ActionPriority.values
    }
    totals = queryset.order_by().aggregate(**aggregates)
    return {
        "current": {value: totals[value] for value in ActionPriority.values},
        "revised": {value: totals[f"revised_{value}"] for value in ActionPriority.values},
    }


def heat_counts(queryset: QuerySet) -> dict[tuple[int, int], int]:
    rows = queryset.values_list("severity", "probability").annotate(count=Count("id")).order_by()
    return {(severity, probability): count for severity, probability, count in rows}


@dataclass(frozen=True)
class ParetoRow:
    label: str
    rpn: int
    cumulative_share: float
    action_priority: str


def pareto_rows(queryset: QuerySet, limit: int = 20) -> list[ParetoRow]:
    """The top failure modes by RPN with the cumulative share of the scope's total RPN."""
    order = [F("rpn").desc(), F("id").asc()]
    rows = (
        queryset.annotate(running=Window(Sum("rpn"), order_by=order), total=Window(Sum("rpn")))
        .order_by(*order)
        .values(
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
        ParetoRow(
            label=f"{row['mode']} ({row['application_name']} / {row['step_name']})",
            rpn=row["rpn"],
            cumulative_share=100 * row["running"] / row["total"] if row["total"] else 0.0,
            action_priority=row["action_priority"],
        )
        for row in rows
    ]


WORKSHEET_VALUES = (
    "id",
    "mode",
    "effect",
    "cause",
    "failure_category",
    "prevention_controls",
    "detection_controls",
    "severity",
    "probability",
    "detectability",
    "rpn",
    "action_priority",
    "status",
    "revised_severity",
    "revised_probability",
    "revised_detectability",
    "revised_rpn",
    "revised_action_priority",
    "step_id",
)
WORKSHEET_RELATED = {
    "business_function": F("step__application__business_function__name"),
    "application": F("step__application__name"),
    "application_id": F("step__application_id"),
    "tier": F("step__application__tier__level"),
    "step_order": F("step__order"),
    "step_name": F("step__name"),
    "component_name": F("component__name"),
    "component_kind": F("component__kind"),
}


def worksheet_rows(queryset: QuerySet, chunk_size: int = 2000):
    """The failure modes as dicts with their names and `actions` (a list of dicts),
    in chunks: one query for the rows (a server-side cursor) and one per chunk for
    the actions."""
    rows = queryset.values(*WORKSHEET_VALUES, **WORKSHEET_RELATED)
    chunk: list[dict] = []
    for row in rows.iterator(chunk_size=chunk_size):
        chunk.append(row)
        if len(chunk) >= chunk_size:
            yield from _with_actions(chunk)
            chunk = []
    if chunk:
        yield from _with_actions(chunk)


def _with_actions(chunk: list[dict]) -> list[dict]:
    by_failure_mode: dict[int, list[dict]] = {row["id"]: [] for row in chunk}
    for action in (
        Action.objects.filter(failure_mode_id__in=list(by_failure_mode))
        .order_by("due_date", "id")
        .values("failure_mode_id", "description", "owner", "due_date", "status")
    ):
        by_failure_mode[action.pop("failure_mode_id")].append(action)
    for row in chunk:
        row["actions"] = by_failure_mode[row["id"]]
    return chunk


def action_text(action: dict) -> str:
    details = [action["owner"] or "no owner"]
    if action["due_date"]:
        details.append(f"due {action['due_date']:%Y-%m-%d}")
    details.append(ActionStatus(action["status"]).label.lower())
    return f"{action['description']} ({', '.join(details)})"
