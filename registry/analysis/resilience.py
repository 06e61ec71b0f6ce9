"""Resilience rules: plain functions over plain data, one per finding kind.

They know nothing of the ORM; `registry/findings.py` loads a team's data into these
shapes, runs the rules and stores what they find.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from registry.choices import FindingKind, FindingSeverity

SECONDS_PER_YEAR = 365 * 24 * 3600
FIVE_NINES = 99.999
SHARED_FATE_MIN_STEPS = 3


@dataclass(frozen=True)
class TierData:
    id: int
    level: int
    name: str
    rto_seconds: int
    rpo_seconds: int
    availability: float  # percent
    rpn_threshold: int
    review_interval_days: int
    disasters_excluded: bool = False


@dataclass(frozen=True)
class StrategyData:
    code: str
    name: str
    cost_rank: int
    best_rto_seconds: int
    best_rpo_seconds: int

    def meets(self, rto_seconds: int, rpo_seconds: int) -> bool:
        return self.best_rto_seconds <= rto_seconds and self.best_rpo_seconds <= rpo_seconds


@dataclass(frozen=True)
class ApplicationData:
    id: int
    name: str
    tier: TierData
    strategy: StrategyData
    regions: tuple[tuple[str, str], ...] = ()  # (code, jurisdiction)
    data_residency: str = ""


@dataclass(frozen=True)
class StepData:
    id: int
    name: str
    application: ApplicationData
    rto_seconds: int | None = None
    rpo_seconds: int | None = None
    availability: float | None = None
    last_reviewed_at: datetime | None = None
    created_at: datetime | None = None

    @property
    def rto(self) -> int:
        return self.application.tier.rto_seconds if self.rto_seconds is None else self.rto_seconds

    @property
    def rpo(self) -> int:
        return self.application.tier.rpo_seconds if self.rpo_seconds is None else self.rpo_seconds

    @property
    def target(self) -> float:
        return (
            self.application.tier.availability if self.availability is None else self.availability
        )

    @property
    def label(self) -> str:
        return f"{self.application.name} / {self.name}"


@dataclass(frozen=True)
class ComponentData:
    id: int
    name: str
    availability: float  # percent, of one deployment
    replicas: int = 1  # regions it runs in; each is a parallel replica
    application_id: int | None = None

    @property
    def replicated(self) -> float:
        """Availability (fraction) of its parallel replicas: 1 − (1 − a)^n."""
        return 1 - (1 - self.availability / 100) ** max(self.replicas, 1)


@dataclass(frozen=True)
class Edge:
    """`step_id` or `dependant_id` (a component) depends on `component_id`."""

    component_id: int
    hard: bool
    step_id: int | None = None
    dependant_id: int | None = None


@dataclass
class FindingData:
    key: str
    kind: FindingKind
    severity: FindingSeverity
    message: str
    details: dict = field(default_factory=dict)
    application_id: int | None = None
    step_id: int | None = None
    component_id: int | None = None
    failure_mode_id: int | None = None
    tier_id: int | None = None


def severity_for_tier(level: int) -> FindingSeverity:
    return {
        1: FindingSeverity.CRITICAL,
        2: FindingSeverity.HIGH,
        3: FindingSeverity.MEDIUM,
    }.get(level, FindingSeverity.LOW)


def format_duration(seconds: float) -> str:
    """A duration as a person says it: 30 s, 10 min, 2 h, 1.5 d."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            value = seconds / size
            return f"{value:.0f} {unit}" if value == round(value) else f"{value:.1f} {unit}"
    return f"{seconds:.0f} s"


def format_percent(fraction: float) -> str:
    return f"{fraction * 100:.4f}".rstrip("0").rstrip(".") + " %"


# --- DR strategy and regions ----------------------------------------------------------


def strictest_objectives(
    application: ApplicationData, steps: Iterable[StepData]
) -> tuple[int, int, float]:
    """The application's RTO, RPO and availability after its steps' stricter overrides."""
    steps = list(steps)
    tier = application.tier
    return (
        min([tier.rto_seconds, *(step.rto for step in steps)]),
        min([tier.rpo_seconds, *(step.rpo for step in steps)]),
        max([tier.availability, *(step.target for step in steps)]),
    )


def dr_strategy_gaps(
    applications: Iterable[ApplicationData],
    steps_by_application: dict[int, list[StepData]],
    strategies: Iterable[StrategyData],
) -> list[FindingData]:
    """Applications whose DR strategy cannot meet their RTO or RPO; name the cheapest
    strategy that would meet both."""
    by_cost = sorted(strategies, key=lambda strategy: strategy.cost_rank)
    findings = []
    for application in applications:
        rto, rpo, _ = strictest_objectives(
            application, steps_by_application.get(application.id, [])
        )
        strategy = application.strategy
        if strategy.meets(rto, rpo):
            continue
        cheapest = next((s for s in by_cost if s.meets(rto, rpo)), None)
        if cheapest:
            advice = (
                f"{cheapest.name} (RTO {format_duration(cheapest.best_rto_seconds)}, RPO "
                f"{format_duration(cheapest.best_rpo_seconds)}) is the cheapest strategy "
                "that meets both."
            )
        else:
            advice = "No DR strategy meets both; the objectives need revisiting."
        findings.append(
            FindingData(
                key=f"dr_strategy_gap:application:{application.id}",
                kind=FindingKind.DR_STRATEGY_GAP,
                severity=severity_for_tier(application.tier.level),
                message=(
                    f"{application.name} uses {strategy.name}, which at best recovers in "
                    f"{format_duration(strategy.best_rto_seconds)} and loses "
                    f"{format_duration(strategy.best_rpo_seconds)} of data, but must recover "
                    f"within {format_duration(rto)} (RTO) losing at most "
                    f"{format_duration(rpo)} (RPO). {advice}"
                ),
                details={
                    "required_rto_seconds": rto,
                    "required_rpo_seconds": rpo,
                    "strategy": strategy.code,
                    "best_rto_seconds": strategy.best_rto_seconds,
                    "best_rpo_seconds": strategy.best_rpo_seconds,
                    "recommended_strategy": cheapest.code if cheapest else None,
                },
                application_id=application.id,
                tier_id=application.tier.id,
            )
        )
    return findings


def single_region_high_availability(
    applications: Iterable[ApplicationData], steps_by_application: dict[int, list[StepData]]
) -> list[FindingData]:
    """Availability targets of 99.999 % or more need at least two regions."""
    findings = []
    for application in applications:
        _, _, target = strictest_objectives(
            application, steps_by_application.get(application.id, [])
        )
        if target < FIVE_NINES or len(application.regions) >= 2:
            continue
        where = f"only in {application.regions[0][0]}" if application.regions else "in no region"
        findings.append(
            FindingData(
                key=f"single_region_high_availability:application:{application.id}",
                kind=FindingKind.SINGLE_REGION_HIGH_AVAILABILITY,
                severity=severity_for_tier(application.tier.level),
                message=(
                    f"{application.name} targets {target:g} % availability but runs {where}: "
                    "one regional outage takes it down. Run it in at least two regions."
                ),
                details={"availability_target": target, "region_count": len(application.regions)},
                application_id=application.id,
                tier_id=application.tier.id,
            )
        )
    return findings


def data_residency_conflicts(applications: Iterable[ApplicationData]) -> list[FindingData]:
    """An application whose data must stay in a jurisdiction runs in a region outside it."""
    findings = []
    for application in applications:
        if not application.data_residency:
            continue
        outside = [
            code
            for code, jurisdiction in application.regions
            if jurisdiction != application.data_residency
        ]
        if not outside:
            continue
        findings.append(
            FindingData(
                key=f"data_residency_conflict:application:{application.id}",
                kind=FindingKind.DATA_RESIDENCY_CONFLICT,
                severity=FindingSeverity.HIGH,
                message=(
                    f"{application.name} must keep its data in {application.data_residency} "
                    f"but runs in {', '.join(outside)}."
                ),
                details={"residency": application.data_residency, "regions_outside": outside},
                application_id=application.id,
                tier_id=application.tier.id,
            )
        )
    return findings


def tier_objectives_inconsistent(tiers: Iterable[TierData]) -> list[FindingData]:
    """A tier whose RTO alone spends more than its yearly downtime budget."""
    findings = []
    for tier in tiers:
        budget = (100 - tier.availability) / 100 * SECONDS_PER_YEAR
        if tier.disasters_excluded or tier.rto_seconds <= budget:
            continue
        times = tier.rto_seconds / budget if budget else float("inf")
        findings.append(
            FindingData(
                key=f"tier_objectives_inconsistent:tier:{tier.id}",
                kind=FindingKind.TIER_OBJECTIVES_INCONSISTENT,
                severity=FindingSeverity.MEDIUM,
                message=(
                    f"{tier.name}: {tier.availability:g} % availability allows "
                    f"{format_duration(budget)} of downtime a year, but one disaster recovered "
                    f"within the RTO of {format_duration(tier.rto_seconds)} spends it "
                    f"{times:.0f} times over. Lower the RTO, lower the target, or state that "
                    "declared disasters are excluded from the availability target."
                ),
                details={
                    "yearly_downtime_budget_seconds": round(budget, 1),
                    "rto_seconds": tier.rto_seconds,
                    "ratio": round(times, 1),
                },
                tier_id=tier.id,
            )
        )
    return findings


# --- The dependency graph -------------------------------------------------------------


class DependencyGraph:
    """A team's dependency edges, walked with cycle detection."""

    def __init__(self, components: Iterable[ComponentData], edges: Iterable[Edge]) -> None:
        self.components = {component.id: component for component in components}
        self.step_edges: dict[int, list[Edge]] = defaultdict(list)
        self.component_edges: dict[int, list[Edge]] = defaultdict(list)
        for edge in edges:
            if edge.step_id is not None:
                self.step_edges[edge.step_id].append(edge)
            else:
                self.component_edges[edge.dependant_id].append(edge)
        self.cycles: dict[frozenset[int], list[int]] = {}
        self._effective: dict[int, float] = {}

    def effective(self, component_id: int, path: tuple[int, ...] = ()) -> float:
        """A component's availability with its own hard dependencies in series."""
        if component_id in path:
            cycle = list(path[path.index(component_id) :])
            self.cycles.setdefault(frozenset(cycle), cycle)
            return 1.0  # the edge that closes a cycle adds nothing new
        if component_id in self._effective:
            return self._effective[component_id]
        value = self.components[component_id].replicated
        for edge in self.component_edges.get(component_id, []):
            if edge.hard:
                value *= self.effective(edge.component_id, (*path, component_id))
        self._effective[component_id] = value
        return value

    def composite(self, step_id: int) -> float:
        """A step's availability from its hard dependency tree (serial product)."""
        value = 1.0
        for edge in self.step_edges.get(step_id, []):
            if edge.hard:
                value *= self.effective(edge.component_id)
        return value

    def reachable(self, step_id: int, *, hard_only: bool) -> dict[int, bool]:
        """Components a step needs, down the tree, each with whether its path is all hard."""
        found: dict[int, bool] = {}
        stack = [
            (edge.component_id, edge.hard)
            for edge in self.step_edges.get(step_id, [])
            if edge.hard or not hard_only
        ]
        while stack:
            component_id, all_hard = stack.pop()
            if component_id in found and (found[component_id] or not all_hard):
                continue
            found[component_id] = all_hard
            for edge in self.component_edges.get(component_id, []):
                if edge.hard or not hard_only:
                    stack.append((edge.component_id, all_hard and edge.hard))
        return found


def composite_availability_gaps(
    steps: Iterable[StepData], graph: DependencyGraph
) -> list[FindingData]:
    """Steps whose hard dependencies cannot deliver the step's availability target;
    names the three weakest dependencies."""
    findings = []
    for step in steps:
        if not graph.step_edges.get(step.id):
            continue
        composite = graph.composite(step.id)
        target = step.target / 100
        if composite >= target:
            continue
        needed = graph.reachable(step.id, hard_only=True)
        weakest = sorted(
            (graph.components[component_id] for component_id in needed),
            key=lambda component: component.replicated,
        )[:3]
        findings.append(
            FindingData(
                key=f"composite_availability_gap:step:{step.id}",
                kind=FindingKind.COMPOSITE_AVAILABILITY_GAP,
                severity=severity_for_tier(step.application.tier.level),
                message=(
                    f"{step.label} can be at most {format_percent(composite)} available from its "
                    f"hard dependencies, below its target of {step.target:g} %. Weakest: "
                    + ", ".join(
                        f"{component.name} ({format_percent(component.replicated)})"
                        for component in weakest
                    )
                    + "."
                ),
                details={
                    "composite_availability": round(composite * 100, 6),
                    "availability_target": step.target,
                    "weakest": [
                        {
                            "component": c.id,
                            "name": c.name,
                            "availability": round(c.replicated * 100, 6),
                        }
                        for c in weakest
                    ],
                },
                application_id=step.application.id,
                step_id=step.id,
                tier_id=step.application.tier.id,
            )
        )
    return findings


def dependency_cycles(graph: DependencyGraph) -> list[FindingData]:
    """Cycles met while walking the graph (walk every component first)."""
    for component_id in graph.components:
        graph.effective(component_id)
    findings = []
    for cycle in graph.cycles.values():
        names = [graph.components[component_id].name for component_id in cycle]
        first = min(cycle)
        findings.append(
            FindingData(
                key="dependency_cycle:components:" + "-".join(map(str, sorted(cycle))),
                kind=FindingKind.DEPENDENCY_CYCLE,
                severity=FindingSeverity.MEDIUM,
                message=(
                    "Dependency cycle: " + " → ".join([*names, names[0]]) + ". A component "
                    "cannot recover while it waits for itself; break the cycle."
                ),
                details={"components": cycle},
                component_id=first,
            )
        )
    return findings


def tier_inversions(
    steps: Iterable[StepData],
    graph: DependencyGraph,
    application_tiers: dict[int, tuple[str, int]],
) -> list[FindingData]:
    """A step that needs an application of a less critical tier (a higher number).

    `application_tiers` maps application id → (name, tier level).
    """
    findings = []
    for step in steps:
        level = step.application.tier.level
        for component_id, all_hard in graph.reachable(step.id, hard_only=False).items():
            component = graph.components[component_id]
            if (
                component.application_id is None
                or component.application_id not in application_tiers
            ):
                continue
            name, needed_level = application_tiers[component.application_id]
            if needed_level <= level:
                continue
            kind = "hard" if all_hard else "soft"
            findings.append(
                FindingData(
                    key=f"tier_inversion:step:{step.id}:component:{component_id}",
                    kind=FindingKind.TIER_INVERSION,
                    severity=(severity_for_tier(level) if all_hard else FindingSeverity.LOW),
                    message=(
                        f"{step.label} (tier {level}) has a {kind} dependency on {name}, a tier "
                        f"{needed_level} application that is recovered later and less carefully."
                    ),
                    details={
                        "step_tier": level,
                        "dependency_tier": needed_level,
                        "hard": all_hard,
                    },
                    application_id=step.application.id,
                    step_id=step.id,
                    component_id=component_id,
                    tier_id=step.application.tier.id,
                )
            )
    return findings


def shared_fate(steps: Iterable[StepData], graph: DependencyGraph) -> list[FindingData]:
    """Components that three or more tier-1 steps need (hard, down the tree)."""
    needed_by: dict[int, list[StepData]] = defaultdict(list)
    for step in steps:
        if step.application.tier.level != 1:
            continue
        for component_id, all_hard in graph.reachable(step.id, hard_only=True).items():
            if all_hard:
                needed_by[component_id].append(step)
    findings = []
    ranked = sorted(needed_by.items(), key=lambda item: -len(item[1]))
    for component_id, dependants in ranked:
        if len(dependants) < SHARED_FATE_MIN_STEPS:
            continue
        component = graph.components[component_id]
        findings.append(
            FindingData(
                key=f"shared_fate:component:{component_id}",
                kind=FindingKind.SHARED_FATE,
                severity=FindingSeverity.HIGH,
                message=(
                    f"{len(dependants)} tier-1 steps fail together if {component.name} fails: "
                    + ", ".join(step.label for step in dependants)
                    + "."
                ),
                details={
                    "tier1_step_count": len(dependants),
                    "steps": [step.id for step in dependants],
                },
                component_id=component_id,
            )
        )
    return findings


def reviews_overdue(steps: Iterable[StepData], now: datetime) -> list[FindingData]:
    """Steps whose worksheet was not reviewed within their tier's review interval."""
    findings = []
    for step in steps:
        since = step.last_reviewed_at or step.created_at
        interval = step.application.tier.review_interval_days
        if since is None or since + timedelta(days=interval) >= now:
            continue
        when = (
            f"last reviewed {step.last_reviewed_at:%Y-%m-%d}"
            if step.last_reviewed_at
            else f"never reviewed since {since:%Y-%m-%d}"
        )
        findings.append(
            FindingData(
                key=f"review_overdue:step:{step.id}",
                kind=FindingKind.REVIEW_OVERDUE,
                severity=(
                    FindingSeverity.MEDIUM
                    if step.application.tier.level == 1
                    else FindingSeverity.LOW
                ),
                message=(
                    f"The worksheet of {step.label} is due for review every {interval} days; "
                    f"it was {when}."
                ),
                details={"review_interval_days": interval, "since": since.isoformat()},
                application_id=step.application.id,
                step_id=step.id,
                tier_id=step.application.tier.id,
            )
        )
    return findings
