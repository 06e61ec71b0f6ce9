"""Achievable recovery: what a step can recover in (RTO) and lose (RPO) after each
disruption, computed from its hard dependency tree, with the figure that bounds it and
the inputs that were assumed (the drills that prove it: `drills`).

Three disruptions:

- component: one component of the tree fails in its region. RTO = detection + the
  slowest recovery time in the tree; RPO = the worst data store's loss (a synchronous
  replica 0, an asynchronous one its lag, otherwise point-in-time recovery 1 s,
  otherwise its backup interval, otherwise unrecoverable).
- region: a region the application runs in is lost (each in turn; the worst counts).
  RTO = detection + the longer of the failover (0 under active/active when every hard
  dependency serves from another region) and the slowest rebuild of a dependency with
  nothing outside the region (its recovery time, from a backup copy in another region
  for a data store). RPO counts only copies outside the lost region: a replica (sync 0,
  async its lag), else a backup copy (its interval), else unrecoverable.
- data_corruption: a bad write replicated everywhere, so replicas do not help. RPO =
  1 s with point-in-time recovery, else the backup interval, else unrecoverable; RTO =
  detection + the slowest restore of a data store.

A step's hard tree is the union of the subtrees of the components it needs directly:
`RecoveryCache` works out each subtree's share of each disruption once per computation,
and a step joins its direct dependencies' shares.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

from registry.analysis.resilience.dependencies import DependencyGraph, strongly_connected
from registry.analysis.resilience.facts import (
    ApplicationData,
    ComponentData,
    StepData,
)
from registry.analysis.resilience.facts import format_duration as format_seconds
from registry.choices import Disruption

#: The loss of a store restored to a point in time: the granularity of the restore.
PITR_LOSS_SECONDS = 1


@dataclass(frozen=True)
class RecoveryDefaults:
    """The figures counted where none is entered (settings), marked as assumed."""

    detection_seconds: int = 300
    recovery_seconds: int = 3600


# Not frozen: a frozen dataclass's __init__ is several times slower, and a recompute
# makes thousands of these (they are never changed after).
@dataclass(slots=True)
class Bound:
    """What bounds an achievable figure: a component's (or the application's) property."""

    name: str  # the component or application
    prop: str  # the model field, e.g. "replication_lag_seconds"; "no copy" when none
    value: int | None  # seconds; None for "no copy"
    component_id: int | None = None
    assumed: bool = False

    PHRASES: ClassVar[dict[str, str]] = {
        "recovery_time_seconds": "recovery time",
        "replication_lag_seconds": "replication lag",
        "replication": "synchronous replication",
        "backup_interval_seconds": "backup interval",
        "point_in_time_recovery": "point-in-time recovery",
        "detection_time_seconds": "detection time",
        "failover_time_seconds": "failover time",
        "no copy": "no copy that survives",
    }

    @property
    def phrase(self) -> str:
        return self.PHRASES.get(self.prop, self.prop)

    def describe(self) -> str:
        """“orders DB's replication lag (2 s)”"""
        if self.value is None:
            return f"{self.name}: {self.phrase}"
        extra = ", assumed" if self.assumed else ""
        return f"{self.name}'s {self.phrase} ({format_seconds(self.value)}{extra})"

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "component": self.component_id,
            "property": self.prop,
            "seconds": self.value,
            "assumed": self.assumed,
        }


@dataclass(slots=True)
class Achievable:
    """A step's achievable RTO and RPO after one disruption."""

    disruption: str
    rto: int  # seconds
    rpo: int | None  # seconds; None: some data cannot be recovered at all
    rto_bound: Bound
    rpo_bound: Bound | None  # None: the tree keeps no data
    assumed: tuple[str, ...] = ()  # the assumed inputs, as a person says them
    unrecoverable: tuple[ComponentData, ...] = ()  # stores with no copy that survives
    note: str = ""  # why the figure could not be computed as usual

    @property
    def recoverable(self) -> bool:
        return self.rpo is not None

    def as_dict(self) -> dict:
        return {
            "disruption": self.disruption,
            "rto_seconds": self.rto,
            "rpo_seconds": self.rpo,
            "recoverable": self.recoverable,
            "rto_bottleneck": self.rto_bound.as_dict(),
            "rpo_bottleneck": self.rpo_bound.as_dict() if self.rpo_bound else None,
            "assumed": list(self.assumed),
            "unrecoverable_components": [
                {"component": c.id, "name": c.name} for c in self.unrecoverable
            ],
            "note": self.note,
        }


#: A share's assumed inputs: (component name, id, the notes it read), by name and id.
Notes = tuple[tuple[str, int, tuple[str, ...]], ...]

NO_REGIONS: frozenset[str] = frozenset()


@dataclass(slots=True)
class Share:
    """What the components of a hard subtree (a component and everything it needs
    through hard edges) bring to one disruption of any step that needs them.

    Shares combine alike whatever the step: the slowest and the worst by a total order
    (figure, then name, then id: the first in a tree sorted by name, which is how a
    step's own tree breaks ties) and the rest as unions, so a component reached by two
    paths, or met again round a cycle, counts once."""

    stays: bool = True  # a region loss: every component serves from outside the region
    rebuild: Bound | None = None  # the slowest recovery the subtree needs
    loss: Bound | None = None  # the worst loss of data
    lost: tuple[ComponentData, ...] = ()  # stores with no copy that survives, by name
    notes: Notes = ()  # the assumed inputs it read, by component name


EMPTY = Share()
# The scenarios a subtree's share is worked out for: a component failure, data
# corruption, and (Disruption.REGION, the application's regions, the region lost).
FAILURE_SCENARIO = (Disruption.COMPONENT,)
CORRUPTION_SCENARIO = (Disruption.DATA_CORRUPTION,)


def _first_of(a: Bound, b: Bound) -> Bound:
    """Of two equal figures, the first by name, then by id: a tree's order."""
    if a.name != b.name:
        return a if a.name < b.name else b
    return a if (a.component_id or 0) <= (b.component_id or 0) else b


def _slower(a: Bound | None, b: Bound | None) -> Bound | None:
    """The larger recovery time (`_slowest` of two components)."""
    if a is None or b is None or a is b:
        return a or b
    value_a, value_b = a.value or 0, b.value or 0
    if value_a != value_b:
        return a if value_a > value_b else b
    return _first_of(a, b)


def _worse(a: Bound | None, b: Bound | None) -> Bound | None:
    """The larger loss; no copy at all (value None) is worse than any."""
    if a is None or b is None or a is b:
        return a or b
    if a.value is None or b.value is None:
        if a.value is not b.value:
            return a if a.value is None else b
    elif a.value != b.value:
        return a if a.value > b.value else b
    return _first_of(a, b)


def _union(a: tuple, b: tuple, key) -> tuple:
    """Two tuples sorted by `key`, merged, each item once."""
    if not a or a is b:
        return b
    if not b:
        return a
    merged = {key(item): item for item in (*a, *b)}
    return tuple(merged[k] for k in sorted(merged))


def _by_name(component: ComponentData) -> tuple[str, int]:
    return (component.name, component.id)


def _noted(entry: tuple[str, int, tuple[str, ...]]) -> tuple[str, int]:
    return entry[:2]


def _joined(a: Share, b: Share) -> Share:
    if a is EMPTY or a is b:
        return b
    if b is EMPTY:
        return a
    rebuild, loss = _slower(a.rebuild, b.rebuild), _worse(a.loss, b.loss)
    # Most joins add nothing to one side: that side is the answer (fewer objects).
    stays = a.stays and b.stays
    if rebuild is b.rebuild and loss is b.loss and stays is b.stays and not (a.lost or a.notes):
        return b
    if rebuild is a.rebuild and loss is a.loss and stays is a.stays and not (b.lost or b.notes):
        return a
    return Share(
        stays,
        rebuild,
        loss,
        _union(a.lost, b.lost, _by_name),
        _union(a.notes, b.notes, _noted),
    )


def _share(
    component: ComponentData,
    rebuild: Bound | None,
    loss: Bound | None,
    notes: tuple[str, ...],
    *,
    stays: bool = False,
) -> Share:
    """One component's share: a no-copy loss makes it unrecoverable."""
    if stays and rebuild is None and loss is None and not notes:
        return EMPTY
    lost = (component,) if loss is not None and loss.value is None else ()
    return Share(
        stays, rebuild, loss, lost, ((component.name, component.id, notes),) if notes else ()
    )


def _slowest(first: Bound, other: Bound | None) -> Bound:
    """The larger figure; a tie goes to the first name in alphabetical order, then to
    `first`."""
    if other is None:
        return first
    value, other_value = first.value or 0, other.value or 0
    if value != other_value:
        return first if value > other_value else other
    return other if other.name < first.name else first


def _store_loss(component: ComponentData, *, replicas: bool, pitr: bool) -> Bound:
    """What restoring one data store loses, from the best copy it has."""
    if replicas and component.replication == "sync":
        return Bound(component.name, "replication", 0, component.id)
    if replicas and component.replication == "async":
        return Bound(
            component.name, "replication_lag_seconds", component.replication_lag or 0, component.id
        )
    if pitr and component.point_in_time_recovery:
        return Bound(component.name, "point_in_time_recovery", PITR_LOSS_SECONDS, component.id)
    if component.backup_interval is not None:
        return Bound(
            component.name, "backup_interval_seconds", component.backup_interval, component.id
        )
    return Bound(component.name, "no copy", None, component.id)


def _result(
    disruption: str,
    detection: Bound,
    rto_bound: Bound | None,
    share: Share,
    assumed: tuple[str, ...],
) -> Achievable:
    rto = detection.value or 0
    if rto_bound is not None and (rto_bound.value or 0) > 0:
        rto += rto_bound.value or 0
    else:
        rto_bound = detection
    loss = share.loss
    return Achievable(
        disruption, rto, loss.value if loss else 0, rto_bound, loss, assumed, share.lost
    )


def _assumed(first: str | None, share: Share, last: str | None = None) -> tuple[str, ...]:
    """The assumed inputs in the order a person reads them: the application's detection,
    the components' by name, then the application's failover; each once."""
    notes = [first] if first else []
    for _, _, said in share.notes:
        notes.extend(said)
    if last:
        notes.append(last)
    return tuple(dict.fromkeys(notes)) if len(notes) > 1 else tuple(notes)


def _entered(
    name: str,
    prop: str,
    value: int | None,
    default: int,
    why: str = "default",
    component_id: int | None = None,
) -> tuple[Bound, str | None]:
    """The figure as entered; else `default`, marked assumed, with the note that says so
    (“recovery time of Orders DB (1 h, default)”)."""
    if value is not None:
        return Bound(name, prop, value, component_id), None
    bound = Bound(name, prop, default, component_id, assumed=True)
    return bound, f"{bound.phrase} of {name} ({format_seconds(default)}, {why})"


class RecoveryCache:
    """The achievable recovery of the steps of one computation over one dependency
    graph.

    A step's tree is the union of its hard dependencies' subtrees, so each subtree's
    share of each disruption (each lost region, for a region loss) is worked out once,
    bottom up over the graph's strongly connected groups (a cycle is one group, whose
    members share one subtree), and a step combines its direct dependencies' shares:
    the work grows with the components, not with the steps times their trees.
    """

    def __init__(self, defaults: RecoveryDefaults, graph: DependencyGraph) -> None:
        self.defaults = defaults
        self.graph = graph
        # The strongly connected groups of hard edges met so far, sinks first.
        self.group_of: dict[int, int] = {}  # component id → group
        self.members: list[list[ComponentData]] = []
        self.children: list[tuple[int, ...]] = []  # the groups a group needs (hard)
        # Whether a group's subtree holds a component without regions of its own (it
        # runs in the application's, so a region loss depends on the application), and
        # the regions its components record.
        self.placeless: list[bool] = []
        self.regions: list[frozenset[str]] = []
        self.step_groups: dict[int, tuple[int, ...]] = {}  # the groups a step needs directly
        # By scenario, then group: each group's share of its subtree.
        self.shares: dict[tuple, list[Share]] = {}
        self.recoveries: dict[int, tuple[Bound, str | None]] = {}
        self.detections: dict[int, tuple[Bound, str | None]] = {}
        self.failovers: dict[int, tuple[Bound, str | None]] = {}
        # An application's regions, and the region losses of a step when it records any.
        self.contexts: dict[int, tuple[frozenset[str], list[tuple]]] = {}

    # --- The inputs, each noting the default it falls back on -------------------------

    def detection(self, app: ApplicationData) -> tuple[Bound, str | None]:
        found = self.detections.get(app.id)
        if found is None:
            default = self.defaults.detection_seconds
            found = _entered(app.name, "detection_time_seconds", app.detection_time, default)
            self.detections[app.id] = found
        return found

    def failover(self, app: ApplicationData) -> tuple[Bound, str | None]:
        found = self.failovers.get(app.id)
        if found is None:
            best = app.strategy.best_rto_seconds
            why = f"the best RTO of {app.strategy.name}"
            found = _entered(app.name, "failover_time_seconds", app.failover_time, best, why)
            self.failovers[app.id] = found
        return found

    def recovery(self, component: ComponentData) -> tuple[Bound, str | None]:
        found = self.recoveries.get(component.id)
        if found is None:
            entered, default = component.recovery_time, self.defaults.recovery_seconds
            found = _entered(
                component.name,
                "recovery_time_seconds",
                entered,
                default,
                component_id=component.id,
            )
            self.recoveries[component.id] = found
        return found

    # --- Each component's share of a disruption ----------------------------------------

    def _component_failure(self, component: ComponentData) -> Share:
        rebuild, note = self.recovery(component)
        loss = _store_loss(component, replicas=True, pitr=True) if component.data_store else None
        return _share(component, rebuild, loss, (note,) if note else (), stays=True)

    def _data_corruption(self, component: ComponentData) -> Share:
        if not component.data_store:
            return EMPTY
        rebuild, note = self.recovery(component)
        loss = _store_loss(component, replicas=False, pitr=True)
        return _share(component, rebuild, loss, (note,) if note else (), stays=True)

    def _region_loss(self, component: ComponentData, fallback: frozenset[str], lost: str) -> Share:
        """What losing `lost` does to the component; `fallback`: the application's
        regions, where a component that records none runs."""
        notes: tuple[str, ...] = ()
        regions = frozenset(code for code, _ in component.regions)
        if not regions:
            regions = fallback
            if fallback:
                notes = (f"regions of {component.name} (the application's)",)
        if regions and lost not in regions:
            return _share(component, None, None, notes, stays=True)  # untouched
        if component.data_store:
            copies = regions | set(component.replica_regions)
            if component.replication != "none" and copies - {lost}:
                loss = _store_loss(component, replicas=True, pitr=False)
                return _share(component, None, loss, notes, stays=True)
            if component.backup_interval is not None and set(component.backup_copy_regions) - {
                lost
            }:
                loss = _store_loss(component, replicas=False, pitr=False)
            else:
                loss = Bound(component.name, "no copy", None, component.id)
            rebuild, note = self.recovery(component)
            return _share(component, rebuild, loss, (*notes, note) if note else notes)
        if regions - {lost}:
            return _share(component, None, None, notes, stays=True)
        rebuild, note = self.recovery(component)
        return _share(component, rebuild, None, (*notes, note) if note else notes)

    # --- Subtrees -----------------------------------------------------------------------

    def _roots(self, step: StepData) -> list[int]:
        """The components the step needs directly through a hard edge."""
        return [edge.component_id for edge in self.graph.step_edges.get(step.id, ()) if edge.hard]

    def explore(self, steps: Iterable[StepData]) -> None:
        """Group the subtrees `steps` need in one pass (instead of a pass per step)."""
        roots = {step.id: self._roots(step) for step in steps}
        self._explore([root for hard in roots.values() for root in hard])
        for step_id, hard in roots.items():
            self.step_groups[step_id] = tuple(sorted({self.group_of[root] for root in hard}))

    def _explore(self, roots: list[int]) -> None:
        """Group the part of the hard graph below `roots` not met yet. Groups are
        numbered as Tarjan's algorithm finds them, sinks first, so a group's children
        always come before it."""
        needs: dict[int, list[int]] = {}
        pending = [root for root in roots if root not in self.group_of]
        while pending:
            component_id = pending.pop()
            if component_id in needs or component_id in self.group_of:
                continue
            edges = self.graph.component_edges.get(component_id, ())
            needs[component_id] = list(dict.fromkeys(e.component_id for e in edges if e.hard))
            pending.extend(needs[component_id])
        if not needs:
            return
        for ids in strongly_connected(needs):
            if next(iter(ids)) not in needs:
                continue  # a group met before (groups never straddle the two)
            group = len(self.members)
            members = [self.graph.components[component_id] for component_id in ids]
            children = tuple(
                {
                    self.group_of[child]
                    for member in ids
                    for child in needs[member]
                    if child not in ids
                }
            )
            for component_id in ids:
                self.group_of[component_id] = group
            self.members.append(members)
            self.children.append(children)
            placeless = False
            regions: set[str] = set()
            for component in members:
                placeless = placeless or not component.regions
                regions.update(code for code, _ in component.regions)
            for child in children:
                placeless = placeless or self.placeless[child]
                regions |= self.regions[child]
            self.placeless.append(placeless)
            self.regions.append(frozenset(regions))

    def _table(self, scenario: tuple) -> list[Share]:
        """Each group's share of `scenario`, extended to the groups met since it was
        last read (their children come first)."""
        table = self.shares.get(scenario)
        if table is None:
            table = self.shares[scenario] = []
        if len(table) == len(self.members):
            return table
        same = None  # a region loss of subtrees whose components all record regions
        if scenario[0] == Disruption.COMPONENT:
            member = self._component_failure
        elif scenario[0] == Disruption.DATA_CORRUPTION:
            member = self._data_corruption
        else:
            _, fallback, lost = scenario
            member = partial(self._region_loss, fallback=fallback, lost=lost)
            if fallback:
                same = self._table((Disruption.REGION, NO_REGIONS, lost))
        for group in range(len(table), len(self.members)):
            if same is not None and not self.placeless[group]:
                table.append(same[group])
                continue
            share = EMPTY
            for component in self.members[group]:
                share = _joined(share, member(component))
            for child in self.children[group]:
                share = _joined(share, table[child])
            table.append(share)
        return table

    def _tree(self, groups: tuple[int, ...], scenario: tuple) -> Share:
        """The share of the subtrees of `groups`."""
        table = self.shares.get(scenario)
        if table is None or len(table) != len(self.members):
            table = self._table(scenario)
        if len(groups) == 1:
            return table[groups[0]]
        share = EMPTY
        for group in groups:
            share = _joined(share, table[group])
        return share

    # --- A step -------------------------------------------------------------------------

    def achievable(self, step: StepData) -> dict[str, Achievable]:
        application = step.application
        groups = self.step_groups.get(step.id)
        if groups is None:
            hard = self._roots(step)
            self._explore(hard)
            groups = tuple(sorted({self.group_of[component_id] for component_id in hard}))
        # Not kept: a step's figures are a few joins away, and thousands of objects
        # kept to the end of a recompute cost the garbage collector more.
        return {
            Disruption.COMPONENT: self.component_failure(application, groups),
            Disruption.REGION: self.region_loss(application, groups),
            Disruption.DATA_CORRUPTION: self.data_corruption(application, groups),
        }

    def component_failure(
        self, application: ApplicationData, groups: tuple[int, ...]
    ) -> Achievable:
        return self._of_tree(FAILURE_SCENARIO, application, groups)

    def data_corruption(self, application: ApplicationData, groups: tuple[int, ...]) -> Achievable:
        return self._of_tree(CORRUPTION_SCENARIO, application, groups)

    def _of_tree(
        self, scenario: tuple, application: ApplicationData, groups: tuple[int, ...]
    ) -> Achievable:
        detection, note = self.detection(application)
        share = self._tree(groups, scenario)
        return _result(scenario[0], detection, share.rebuild, share, _assumed(note, share))

    def region_loss(self, application: ApplicationData, groups: tuple[int, ...]) -> Achievable:
        """The worst over the regions the application runs in (those of its tree when it
        records none): each lost in turn."""
        detection, note = self.detection(application)
        context = self.contexts.get(application.id)
        if context is None:
            fallback = frozenset(code for code, _ in application.regions)
            scenarios = [(Disruption.REGION, fallback, lost) for lost in sorted(fallback)]
            context = self.contexts[application.id] = (fallback, scenarios)
        fallback, scenarios = context
        if not fallback:
            lost_regions = sorted(NO_REGIONS.union(*(self.regions[g] for g in groups)))
            scenarios = [(Disruption.REGION, fallback, lost) for lost in lost_regions]
        if not scenarios:
            return Achievable(
                Disruption.REGION,
                detection.value or 0,
                None,
                detection,
                None,
                _assumed(note, EMPTY),
                note="No region is recorded for the application or its dependencies, so the "
                "loss of one cannot be assessed.",
            )
        results = []
        for scenario in scenarios:
            share = self._tree(groups, scenario)
            # Active/active serves on when every hard dependency does.
            if application.strategy.serves_all_regions and share.stays:
                failover, failover_note = Bound(application.name, "failover_time_seconds", 0), None
            else:
                failover, failover_note = self.failover(application)
            # The failover and the rebuilds run side by side: the longer one counts.
            slowest = _slowest(failover, share.rebuild)
            assumed = _assumed(note, share, failover_note)
            results.append(_result(Disruption.REGION, detection, slowest, share, assumed))
        if len(results) == 1:
            return results[0]
        worst_rto = max(results, key=lambda r: r.rto)
        worst_rpo = max(results, key=lambda r: (r.rpo is None, r.rpo or 0))
        assumed_all: dict[str, None] = {}
        unrecoverable: dict[int, ComponentData] = {}
        for result in results:
            assumed_all.update(dict.fromkeys(result.assumed))
            unrecoverable.update({c.id: c for c in result.unrecoverable})
        return Achievable(
            Disruption.REGION,
            worst_rto.rto,
            worst_rpo.rpo,
            worst_rto.rto_bound,
            worst_rpo.rpo_bound,
            tuple(assumed_all),
            tuple(sorted(unrecoverable.values(), key=_by_name)),
        )


def achievable_recovery(
    step: StepData,
    graph: DependencyGraph,
    defaults: RecoveryDefaults,
    cache: RecoveryCache | None = None,
) -> dict[str, Achievable]:
    """The step's achievable RTO and RPO for each disruption (`cache`: shared by the
    steps of one computation over `graph`)."""
    if cache is None:
        cache = RecoveryCache(defaults, graph)
    elif cache.graph is not graph or cache.defaults != defaults:
        raise ValueError("The cache belongs to another computation.")
    return cache.achievable(step)
