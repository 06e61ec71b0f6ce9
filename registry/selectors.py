"""Read queries behind the browser pages.

Every figure is computed by the database (aggregates, window functions, annotations) so
a page runs a fixed number of queries whatever the number of rows. The one exception is
the dependency graph: all edges of a team come back in one query and the trees are
built in Python from those rows, with a guard against cycles.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import (
    Avg,
    Case,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce

from registry import scoring
from registry.choices import (
    ActionPriority,
    ActionStatus,
    ComponentKind,
    FailureModeStatus,
    FindingSeverity,
)
from registry.models import (
    Action,
    Application,
    Component,
    Dependency,
    FailureMode,
    Finding,
    RatingScale,
    Step,
    Tier,
)
from registry.querysets import order_term

OPEN_STATUSES = (FailureModeStatus.OPEN, FailureModeStatus.MITIGATING)
OPEN_ACTION_STATUSES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)
# Deeper trees than this are cut off: real dependency trees are a few levels deep, and
# a shared subtree repeated under every branch would otherwise grow without bound.
MAX_TREE_DEPTH = 12


# --- dashboard ----------------------------------------------------------------------


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
            open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
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

    The findings engine stores them (registry.findings) when the register changes.
    """
    rows = Finding.objects.for_team(team_id).select_related("application", "step")
    if application_id is not None:
        rows = rows.filter(application_id=application_id)
    severity = ranked("severity", FindingSeverity.values)
    return list(rows.order_by(severity, "kind", "key")[:limit])


# --- rows of the lists --------------------------------------------------------------


def action_count(actions: QuerySet) -> Coalesce:
    """The number of `actions` of the outer failure mode, 0 when there are none."""
    counted = (
        actions.filter(failure_mode=OuterRef("pk"))
        .order_by()
        .values("failure_mode")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def with_action_counts(queryset: QuerySet) -> QuerySet:
    """Failure modes with `open_action_count` and `action_count`.

    Correlated subqueries rather than a join: the database counts the actions of the
    rows of the page only, where a join and GROUP BY would count them for every
    failure mode of the team before the page is cut.
    """
    return queryset.annotate(
        open_action_count=action_count(Action.objects.filter(status__in=OPEN_ACTION_STATUSES)),
        action_count=action_count(Action.objects.all()),
    )


def failure_mode_rows(team_id: int) -> QuerySet:
    """The team's failure modes with what a row of the list or the worksheet shows."""
    return with_action_counts(
        FailureMode.objects.for_team(team_id).select_related(
            "step__application__tier", "component"
        )
    )


def ranked(field_name: str, values: Iterable[str]) -> Case:
    """An integer rank of a choice column, in the order given (NULL when empty)."""
    return Case(
        *(When(**{field_name: value}, then=Value(rank)) for rank, value in enumerate(values)),
        default=None,
        output_field=IntegerField(),
    )


#: Sort keys of the failure-mode tables: the column name in the URL → the SQL to order by.
FAILURE_MODE_SORTS = {
    "component": F("component__name"),
    "mode": F("mode"),
    "category": F("failure_category"),
    "effect": F("effect"),
    "cause": F("cause"),
    "prevention": F("prevention_controls"),
    "detection": F("detection_controls"),
    "severity": F("severity"),
    "probability": F("probability"),
    "detectability": F("detectability"),
    "rpn": F("rpn"),
    "ap": ranked("action_priority", ["L", "M", "H"]),
    "status": ranked("status", FailureModeStatus.values),
    "actions": F("open_action_count"),
    "revised_severity": F("revised_severity"),
    "revised_probability": F("revised_probability"),
    "revised_detectability": F("revised_detectability"),
    "revised_rpn": F("revised_rpn"),
    "revised_ap": ranked("revised_action_priority", ["L", "M", "H"]),
    "application": F("step__application__name"),
    "step": F("step__name"),
    "tier": F("step__application__tier__level"),
    "created": F("id"),
}


def sorted_rows(queryset: QuerySet, sort: str, default: str) -> tuple[QuerySet, str]:
    """`queryset` ordered by the column named in `sort` ("-rpn": descending).

    Unknown columns fall back to `default`. Empty values sort last either way and the
    id breaks ties, so the order is stable on every database.
    """
    key = sort.removeprefix("-")
    if key not in FAILURE_MODE_SORTS:
        sort, key = default, default.removeprefix("-")
    term = order_term(FailureMode, FAILURE_MODE_SORTS[key], descending=sort.startswith("-"))
    return queryset.order_by(term, "id"), sort


def applications_for_list(team_id: int) -> QuerySet:
    """The team's applications with their failure-mode count and highest RPN."""
    return (
        Application.objects.for_team(team_id)
        .select_related("business_function", "tier", "dr_strategy")
        .prefetch_related("regions")
        .annotate(
            step_count=Count("steps", distinct=True),
            failure_mode_count=Count("steps__failure_modes"),
            max_rpn=Max("steps__failure_modes__rpn"),
        )
        .order_by("tier__level", "name", "id")
    )


def steps_for_application(application: Application) -> QuerySet:
    """An application's steps in order, with their failure-mode figures."""
    return (
        Step.objects.filter(application=application)
        .select_related("last_reviewed_by")
        .annotate(
            failure_mode_count=Count("failure_modes"),
            open_count=Count("failure_modes", filter=Q(failure_modes__status__in=OPEN_STATUSES)),
            max_rpn=Max("failure_modes__rpn"),
            over_threshold=Count(
                "failure_modes",
                filter=Q(failure_modes__rpn__gt=application.tier.rpn_threshold),
            ),
        )
        .order_by("order", "id")
    )


def components_for_list(team_id: int) -> QuerySet:
    """The team's components with how many steps depend on each directly."""
    return (
        Component.objects.for_team(team_id)
        .select_related("application")
        .prefetch_related("regions")
        .annotate(
            step_count=Count("dependants__step", distinct=True),
            failure_mode_count=Count("failure_modes", distinct=True),
        )
        .order_by("name", "id")
    )


def rating_scales() -> dict[tuple[str, int], RatingScale]:
    """Every rating description, keyed by (scale, rating): one query."""
    return {(row.scale, row.rating): row for row in RatingScale.objects.all()}


# --- dependency trees ---------------------------------------------------------------


@dataclass
class DependencyNode:
    """A component in a dependency tree and what it depends on in turn."""

    dependency_id: int
    component_id: int
    name: str
    kind: str
    availability: Decimal
    hard: bool
    children: list[DependencyNode] = field(default_factory=list)
    cycle: bool = False  # the component already appears above: not expanded again
    truncated: bool = False  # the tree is deeper than MAX_TREE_DEPTH here

    @property
    def kind_label(self) -> str:
        return ComponentKind(self.kind).label


@dataclass
class DependencyGraph:
    """All dependency edges of a team, indexed by their dependant."""

    by_step: dict[int, list[dict]]
    by_component: dict[int, list[dict]]
    by_dependency: dict[int, list[dict]]

    def tree_of_step(self, step_id: int) -> list[DependencyNode]:
        return self._nodes(self.by_step.get(step_id, []), frozenset(), 1)

    def tree_of_component(self, component_id: int) -> list[DependencyNode]:
        return self._nodes(self.by_component.get(component_id, []), {component_id}, 1)

    def _nodes(self, edges: list[dict], path: frozenset, depth: int) -> list[DependencyNode]:
        nodes = []
        for edge in edges:
            component_id = edge["component_id"]
            node = DependencyNode(
                dependency_id=edge["id"],
                component_id=component_id,
                name=edge["component__name"],
                kind=edge["component__kind"],
                availability=edge["component__availability"],
                hard=edge["hard"],
            )
            below = self.by_component.get(component_id, [])
            if component_id in path:
                node.cycle = True
            elif below and depth >= MAX_TREE_DEPTH:
                node.truncated = True
            else:
                node.children = self._nodes(below, path | {component_id}, depth + 1)
            nodes.append(node)
        return nodes

    def steps_depending_on(self, component_id: int) -> dict[int, StepUsage]:
        """Every step that needs the component, directly or through other components.

        A step needs it hard only if every edge on the way is hard; the strongest,
        then shortest, path wins.
        """
        usages: dict[int, StepUsage] = {}
        pending = [(component_id, (), True)]
        seen: set[int] = set()
        while pending:
            current, via, hard = pending.pop(0)
            if current in seen:
                continue
            seen.add(current)
            for edge in self.by_dependency.get(current, []):
                edge_hard = hard and edge["hard"]
                if edge["step_id"] is not None:
                    usage = StepUsage(step_id=edge["step_id"], hard=edge_hard, via=via)
                    known = usages.get(usage.step_id)
                    if known is None or (usage.hard and not known.hard):
                        usages[usage.step_id] = usage
                else:
                    name = edge["dependant_component__name"]
                    pending.append((edge["dependant_component_id"], (*via, name), edge_hard))
        return usages


@dataclass(frozen=True)
class StepUsage:
    step_id: int
    hard: bool
    via: tuple[str, ...]  # names of the components in between; empty when direct


def dependency_graph(team_id: int) -> DependencyGraph:
    """All dependency edges of the team in one query."""
    rows = (
        Dependency.objects.for_team(team_id)
        .values(
            "id",
            "step_id",
            "dependant_component_id",
            "dependant_component__name",
            "component_id",
            "component__name",
            "component__kind",
            "component__availability",
            "hard",
        )
        .order_by("-hard", "component__name", "component_id")
    )
    by_step: dict[int, list[dict]] = defaultdict(list)
    by_component: dict[int, list[dict]] = defaultdict(list)
    by_dependency: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        if row["step_id"] is not None:
            by_step[row["step_id"]].append(row)
        else:
            by_component[row["dependant_component_id"]].append(row)
        by_dependency[row["component_id"]].append(row)
    return DependencyGraph(dict(by_step), dict(by_component), dict(by_dependency))


def would_create_cycle(graph: DependencyGraph, dependant_id: int, component_id: int) -> bool:
    """Whether "dependant needs component" closes a loop (component reaches dependant)."""
    pending, seen = [component_id], set()
    while pending:
        current = pending.pop()
        if current == dependant_id:
            return True
        if current in seen:
            continue
        seen.add(current)
        pending.extend(edge["component_id"] for edge in graph.by_component.get(current, []))
    return False


# --- history ------------------------------------------------------------------------

#: Fields of a failure mode whose changes the history shows, in worksheet order.
HISTORY_FIELDS = (
    "step",
    "component",
    "mode",
    "failure_category",
    "effect",
    "cause",
    "prevention_controls",
    "detection_controls",
    "severity",
    "probability",
    "detectability",
    "status",
    "revised_severity",
    "revised_probability",
    "revised_detectability",
    "review_signed_off_at",
)


@dataclass(frozen=True)
class HistoryEntry:
    """One saved version: who, when, and what changed from the version before."""

    when: datetime
    who: str
    kind: str  # created, changed or deleted
    version: int
    changes: tuple[tuple[str, str, str], ...]  # (field label, before, after)


@dataclass(frozen=True)
class FailureModeHistory:
    entries: list[HistoryEntry]  # newest first
    rpn_points: list[tuple[datetime, int, int | None]]  # oldest first, for the chart


def failure_mode_history(failure_mode: FailureMode, limit: int = 200) -> FailureModeHistory:
    """The latest `limit` versions of a failure mode with their changes (two queries).

    History rows hold the ratings but not the generated columns, so the RPN of each
    version is computed here with registry.scoring.
    """
    records = list(
        failure_mode.history.select_related("history_user").order_by(
            "-history_date", "-history_id"
        )[:limit]
    )[::-1]
    component_ids = {record.component_id for record in records} - {None}
    step_ids = {record.step_id for record in records} - {None}
    names = {
        ("component", pk): name
        for pk, name in Component.objects.filter(pk__in=component_ids).values_list("pk", "name")
    } | {
        ("step", pk): name
        for pk, name in Step.objects.filter(pk__in=step_ids).values_list("pk", "name")
    }
    entries, points, previous = [], [], None
    for record in records:
        changes = tuple(
            (_label(name), _shown(previous, name, names), _shown(record, name, names))
            for name in HISTORY_FIELDS
            if previous is not None and _raw(previous, name) != _raw(record, name)
        )
        who = record.history_user.get_username() if record.history_user else "system"
        kind = {"+": "created", "-": "deleted"}.get(record.history_type, "changed")
        entries.append(HistoryEntry(record.history_date, who, kind, record.version, changes))
        ratings = (record.severity, record.probability, record.detectability)
        revised = (
            record.revised_severity,
            record.revised_probability,
            record.revised_detectability,
        )
        points.append(
            (
                record.history_date,
                scoring.rpn(*ratings),
                scoring.rpn(*revised) if None not in revised else None,
            )
        )
        previous = record
    return FailureModeHistory(entries=entries[::-1], rpn_points=points)


def _label(name: str) -> str:
    return str(FailureMode._meta.get_field(name).verbose_name).capitalize()


def _raw(record, name: str):
    return getattr(record, FailureMode._meta.get_field(name).attname)


def _shown(record, name: str, names: dict) -> str:
    if record is None:
        return ""
    value = _raw(record, name)
    field_ = FailureMode._meta.get_field(name)
    if value in (None, ""):
        return "—"
    if field_.is_relation:
        return names.get((name, value), f"#{value}")
    if field_.choices:
        return str(dict(field_.choices).get(value, value))
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    return str(value)
