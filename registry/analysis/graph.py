"""The dependency graph of a team: every edge in one query, trees built from those rows.

Real dependency trees are a few levels deep; a loop (which every interface refuses, but
older data or a restore may hold) is shown once and not expanded again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from registry.choices import AvailabilityBasis, ComponentKind
from registry.models import Dependency
from registry.models.components import availability_figure

# Deeper trees than this are cut off: real dependency trees are a few levels deep, and
# a shared subtree repeated under every branch would otherwise grow without bound.
MAX_TREE_DEPTH = 12


@dataclass
class DependencyNode:
    """A component in a dependency tree and what it depends on in turn."""

    dependency_id: int
    component_id: int
    name: str
    kind: str
    availability: Decimal  # the figure counted: entered, or the configured assumption
    hard: bool
    assumed: bool = False  # no figure entered
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
                availability=edge["component_figure"],
                hard=edge["hard"],
                assumed=edge["component__availability_basis"] == AvailabilityBasis.ASSUMED,
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
        .annotate(component_figure=availability_figure("component__"))
        .values(
            "id",
            "step_id",
            "dependant_component_id",
            "dependant_component__name",
            "component_id",
            "component__name",
            "component__kind",
            "component_figure",
            "component__availability_basis",
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
