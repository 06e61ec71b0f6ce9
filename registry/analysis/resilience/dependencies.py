"""Rules on the dependency graph: composite availability, cycles, tier inversions and
shared fate."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from registry.analysis.resilience.facts import (
    SHARED_FATE_MIN_STEPS,
    ComponentData,
    Edge,
    FindingData,
    StepData,
    format_percent,
    severity_for_tier,
)
from registry.choices import FindingKind, FindingSeverity


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
