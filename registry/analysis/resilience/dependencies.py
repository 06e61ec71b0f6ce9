"""Rules on the dependency graph: composite availability, cycles, tier inversions and
common dependencies (blast radius)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from registry.analysis.resilience.facts import (
    COMMON_DEPENDENCY_MIN_STEPS,
    ApplicationData,
    ComponentData,
    Edge,
    FindingData,
    StepData,
    TierData,
    format_percent,
    severity_for_tier,
)
from registry.choices import FindingKind, FindingSeverity


@dataclass(frozen=True)
class Figure:
    """A component's availability as one step's composite counts it."""

    component: ComponentData
    availability: float  # fraction
    parallel_regions: int  # > 1 when its regions count as parallel replicas

    def describe(self) -> str:
        notes = []
        if self.component.assumed:
            notes.append("assumed")
        if self.parallel_regions > 1:
            notes.append(f"{self.parallel_regions} active regions, upper bound")
        extra = f", {', '.join(notes)}" if notes else ""
        return f"{self.component.name} ({format_percent(self.availability)}{extra})"


@dataclass(frozen=True)
class Composite:
    """A step's availability from its hard dependency tree, with the figures it rests on."""

    availability: float  # fraction
    figures: tuple[Figure, ...]  # one per distinct component, weakest first

    @property
    def upper_bound(self) -> bool:
        return any(figure.parallel_regions > 1 for figure in self.figures)

    @property
    def assumed(self) -> list[ComponentData]:
        return [figure.component for figure in self.figures if figure.component.assumed]


class DependencyGraph:
    """A team's dependency edges and what each step reaches through them.

    `applications` are the team's applications: a component that is one of them serves
    from several regions at once only if its own strategy does.
    """

    def __init__(
        self,
        components: Iterable[ComponentData],
        edges: Iterable[Edge],
        applications: Iterable[ApplicationData] = (),
    ) -> None:
        self.components = {component.id: component for component in components}
        self.applications = {application.id: application for application in applications}
        self.step_edges: dict[int, list[Edge]] = defaultdict(list)
        self.component_edges: dict[int, list[Edge]] = defaultdict(list)
        for edge in edges:
            if edge.step_id is not None:
                self.step_edges[edge.step_id].append(edge)
            else:
                self.component_edges[edge.dependant_id].append(edge)
        self._reached: dict[int, dict[int, bool]] = {}

    def reachable(self, step_id: int) -> dict[int, bool]:
        """Every component a step needs, down the tree (hard and soft), each with
        whether some path to it is all hard. Each component is visited once, so a cycle
        ends the walk and the order of the edges does not matter."""
        if step_id in self._reached:
            return self._reached[step_id]
        found: dict[int, bool] = {}
        stack = [(edge.component_id, edge.hard) for edge in self.step_edges.get(step_id, [])]
        while stack:
            component_id, all_hard = stack.pop()
            known = found.get(component_id)
            if known is not None and (known or not all_hard):
                continue
            found[component_id] = all_hard
            for edge in self.component_edges.get(component_id, []):
                stack.append((edge.component_id, all_hard and edge.hard))
        self._reached[step_id] = found
        return found

    def parallel_regions(self, component: ComponentData, application: ApplicationData) -> int:
        """How many of the component's regions serve at once: all of them when the
        application running it (the component's own, or else the step's) is
        active/active, one otherwise (a standby region restores service, it does not
        add availability)."""
        owner = self.applications.get(component.application_id or -1, application)
        return len(component.regions) if owner.strategy.serves_all_regions else 1

    def composite(self, step: StepData) -> Composite:
        """The product over the distinct components the step reaches through hard edges,
        each counted once however many paths lead to it."""
        figures = []
        value = 1.0
        for component_id, all_hard in self.reachable(step.id).items():
            if not all_hard:
                continue
            component = self.components[component_id]
            regions = self.parallel_regions(component, step.application)
            figure = Figure(component, component.availability_in(regions), regions)
            value *= figure.availability
            figures.append(figure)
        figures.sort(key=lambda figure: (figure.availability, figure.component.name))
        return Composite(value, tuple(figures))

    def cycles(self) -> list[list[int]]:
        """Each loop of hard edges between components, once, as the shortest path from
        its lowest id round to itself: the same whatever the order of the edges."""
        hard = {
            dependant: sorted({edge.component_id for edge in edges if edge.hard})
            for dependant, edges in self.component_edges.items()
        }
        found = []
        for group in strongly_connected(hard):
            if len(group) < 2:
                continue
            start = min(group)
            found.append(shortest_loop(hard, start, group))
        return sorted(found)


def strongly_connected(needs: dict[int, list[int]]) -> list[set[int]]:
    """Tarjan's strongly connected components, iteratively (no recursion limit)."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    groups: list[set[int]] = []
    counter = 0
    for root in sorted(needs):
        if root in index:
            continue
        work = [(root, iter(needs.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(needs.get(child, ()))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                groups.append(group)
    return groups


def shortest_loop(needs: dict[int, list[int]], start: int, group: set[int]) -> list[int]:
    """The shortest path from `start` back to itself inside `group` (breadth first, lowest
    ids first), without repeating `start` at the end."""
    came_from: dict[int, int] = {}
    pending = [start]
    while pending:
        following = []
        for current in pending:
            for nxt in needs.get(current, ()):
                if nxt not in group:
                    continue
                if nxt == start:
                    path = [current]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return path[::-1]
                if nxt not in came_from:
                    came_from[nxt] = current
                    following.append(nxt)
        pending = following
    return [start]


def composite_availability_gaps(
    steps: Iterable[StepData], graph: DependencyGraph
) -> list[FindingData]:
    """Steps whose hard dependencies cannot deliver the step's availability target;
    names the three weakest distinct components and the figures that are assumed."""
    findings = []
    for step in steps:
        if not graph.step_edges.get(step.id):
            continue
        composite = graph.composite(step)
        if composite.availability >= step.target / 100:
            continue
        weakest = composite.figures[:3]
        assumed = composite.assumed
        message = (
            f"{step.label} can be at most {format_percent(composite.availability)} available "
            f"from its {len(composite.figures)} distinct hard dependencies, below its target "
            f"of {step.target:g} %. Weakest: "
            + ", ".join(figure.describe() for figure in weakest)
            + "."
        )
        if composite.upper_bound:
            message += (
                " Components in several active regions count as parallel replicas: an upper "
                "bound that assumes independent regions and instant failover."
            )
        if assumed:
            message += " " + assumption_note(assumed)
        findings.append(
            FindingData(
                key=f"composite_availability_gap:step:{step.id}",
                kind=FindingKind.COMPOSITE_AVAILABILITY_GAP,
                severity=severity_for_tier(step.application.tier.level),
                message=message,
                details={
                    "composite_availability": round(composite.availability * 100, 6),
                    "availability_target": step.target,
                    "component_count": len(composite.figures),
                    "upper_bound": composite.upper_bound,
                    "weakest": [
                        {
                            "component": figure.component.id,
                            "name": figure.component.name,
                            "availability": round(figure.availability * 100, 6),
                            "assumed": figure.component.assumed,
                            "parallel_regions": figure.parallel_regions,
                        }
                        for figure in weakest
                    ],
                    "assumed_components": [
                        {"component": c.id, "name": c.name, "availability": c.availability}
                        for c in assumed
                    ],
                },
                application_id=step.application.id,
                step_id=step.id,
                tier_id=step.application.tier.id,
                assumed=bool(assumed),
            )
        )
    return findings


def assumption_note(assumed: list[ComponentData]) -> str:
    """“Assumes 99.9 % for Card network API: no figure entered.”"""
    by_figure: dict[float, list[str]] = defaultdict(list)
    for component in assumed:
        by_figure[component.availability].append(component.name)
    parts = [f"{figure:g} % for {', '.join(names)}" for figure, names in by_figure.items()]
    return f"Assumes {'; '.join(parts)}: no figure entered."


def dependency_cycles(graph: DependencyGraph, steps: Iterable[StepData] = ()) -> list[FindingData]:
    """Loops of hard dependencies between components. A loop counts in the most
    critical tier of the steps that need it, so that the tier rollups keep it."""
    tiers: dict[int, TierData] = {}  # component → most critical tier of a step needing it
    for step in steps:
        tier = step.application.tier
        for component_id in graph.reachable(step.id):
            known = tiers.get(component_id)
            if known is None or tier.level < known.level:
                tiers[component_id] = tier
    findings = []
    for cycle in graph.cycles():
        tier = tiers.get(cycle[0])
        names = [graph.components[component_id].name for component_id in cycle]
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
                component_id=cycle[0],
                tier_id=tier.id if tier else None,
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
        for component_id, all_hard in graph.reachable(step.id).items():
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


def common_dependencies(steps: Iterable[StepData], graph: DependencyGraph) -> list[FindingData]:
    """Components that three or more tier-1 steps need (hard, down the tree): their
    blast radius. The finding belongs to tier 1, where its steps are."""
    needed_by: dict[int, list[StepData]] = defaultdict(list)
    for step in steps:
        if step.application.tier.level != 1:
            continue
        for component_id, all_hard in graph.reachable(step.id).items():
            if all_hard:
                needed_by[component_id].append(step)
    findings = []
    ranked = sorted(needed_by.items(), key=lambda item: (-len(item[1]), item[0]))
    for component_id, dependants in ranked:
        if len(dependants) < COMMON_DEPENDENCY_MIN_STEPS:
            continue
        component = graph.components[component_id]
        findings.append(
            FindingData(
                key=f"common_dependency:component:{component_id}",
                kind=FindingKind.COMMON_DEPENDENCY,
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
                tier_id=dependants[0].application.tier.id,
            )
        )
    return findings
