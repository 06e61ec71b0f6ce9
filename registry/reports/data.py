"""The figures a report shows, for its scope.

A whole-team report reads the team's stored tier rollups when no change has happened
since they were computed; a report on part of a team (some tiers, applications,
statuses...) computes its figures with the same definitions
(registry.analysis.figures) over the failure modes in scope. The heat map and the
Pareto chart are the dashboard's functions.
"""

from __future__ import annotations

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from registry.analysis import figures
from registry.analysis.evidence import ApplicationIncidents, application_incidents
from registry.choices import ActionPriority, ActionStatus
from registry.db.expressions import InValues
from registry.exports import recovery_values
from registry.models import Action, Finding, FindingSuppression, Tier
from registry.models.failure_modes import failure_mode_figures
from registry.reports.scope import Scope

# The writers (csv, xlsx, pdf) read the figures under these names.
TierRow = figures.TierFigures
all_tiers = figures.all_tiers
heat_counts = figures.heat_map_counts
pareto_rows = figures.pareto


def findings(scope: Scope, *, suppressed: bool = False) -> QuerySet:
    """The team's findings about what the scope covers: those that count, or with
    `suppressed` those set aside.

    A finding about a failure mode counts when the failure mode is in scope; the others
    (about applications, steps, components, tiers) when their application or tier is.
    """
    rows = Finding.objects.filter(team_id=scope.team_id)
    rows = (rows.suppressed() if suppressed else rows.unsuppressed()).select_related(
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
        .annotate(severity_rank=figures.SEVERITY_RANK)
        .order_by("severity_rank", "kind", "key")
    )


def suppressions(scope: Scope) -> list[FindingSuppression]:
    """The suppressions in force over the scope's findings, soonest expiry first (a
    team has few: each is a decision someone made)."""
    return list(
        FindingSuppression.objects.filter(
            finding__in=findings(scope, suppressed=True).values("id"),
            ended_at__isnull=True,
            expires_on__gte=timezone.localdate(),
        )
        .select_related("created_by")
        .order_by("expires_on", "id")
    )


def tier_label(tier: Tier) -> str:
    """ "Tier 1 - mission critical"; the level is added when the name lacks it."""
    prefix = f"Tier {tier.level}"
    return tier.name if tier.name.startswith(prefix) else f"{prefix}: {tier.name}"


def tier_rows(scope: Scope) -> list[TierRow]:
    """One row per tier (all tiers, or the scope's) with the rollup figures."""
    tiers = Tier.objects.order_by("level")
    if scope.tiers:
        tiers = tiers.filter(level__in=scope.tiers)
    if scope.is_whole_team and figures.current_rollups_computed_at(scope.team_id):
        return figures.tier_list(figures.stored_tier_figures(scope.team_id), tiers, None)
    now = timezone.now()
    rows = figures.figures_by_group(
        failure_modes=scope.failure_modes(),
        actions=Action.objects.filter(scope.condition("failure_mode__")),
        findings=findings(scope),
        today=timezone.localdate(now),
    )
    return figures.tier_list(figures.per_tier(rows), tiers, now)


def priority_counts(queryset: QuerySet) -> dict[str, dict[str, int]]:
    """{"current": {"H": n, ...}, "revised": {...}} for the failure modes (the rollups'
    action-priority figures)."""
    definitions = failure_mode_figures()
    names = {
        (prefix, priority.value): f"{prefix}ap_{priority.name.lower()}_count"
        for prefix in ("", "revised_")
        for priority in ActionPriority
    }
    totals = queryset.order_by().aggregate(**{name: definitions[name] for name in names.values()})
    return {
        "current": {value: totals[names["", value]] for value in ActionPriority.values},
        "revised": {value: totals[names["revised_", value]] for value in ActionPriority.values},
    }


WORKSHEET_VALUES = (
    "id",
    "version",
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
    "revised_worse",
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
    rows = queryset.values(*WORKSHEET_VALUES, **WORKSHEET_RELATED, **recovery_values())
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
        Action.objects.filter(InValues("failure_mode_id", by_failure_mode))
        .in_due_order()
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


def incident_rows(scope: Scope) -> list[ApplicationIncidents]:
    """Per application in scope: incidents over the evidence window, downtime, data
    lost and contradicted ratings (registry.analysis.evidence)."""
    return application_incidents(scope.team_id, scope.applications)
