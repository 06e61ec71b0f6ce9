"""Achievable recovery: what a step can recover in (RTO) and lose (RPO) after each
disruption, computed from its hard dependency tree, with the figure that bounds it and
the inputs that were assumed; and the drills that prove it.

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
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, ClassVar

from registry.analysis.resilience.dependencies import DependencyGraph
from registry.analysis.resilience.facts import (
    ApplicationData,
    ComponentData,
    StepData,
)
from registry.analysis.resilience.facts import format_duration as format_seconds
from registry.choices import Disruption, RecoveryTestOutcome

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


@dataclass
class RecoveryCache:
    """What does not change between the steps of one computation: each component's
    recovery bound and regions, each application's detection. A team's recompute
    shares one, so a component met in many trees is worked out once."""

    defaults: RecoveryDefaults
    recovery: dict[int, tuple[Bound, str | None]] = field(default_factory=dict)
    regions: dict[tuple[int, int], tuple[frozenset[str], str | None]] = field(default_factory=dict)
    detection: dict[int, tuple[Bound, str | None]] = field(default_factory=dict)
    losses: dict[tuple[int, bool, bool], Bound] = field(default_factory=dict)
    # By component, lost region and (for a component without regions of its own, which
    # runs in its application's) application: what the loss of that region does to it.
    outcomes: dict[tuple[int, str, int | None], RegionOutcome] = field(default_factory=dict)
    # By application and tree: steps of one application often need the same components.
    results: dict[tuple, dict[str, Achievable]] = field(default_factory=dict)


@dataclass
class _Inputs:
    """The figures one computation reads, noting each default it falls back on."""

    application: ApplicationData
    cache: RecoveryCache
    assumed: dict[str, None] = field(default_factory=dict)  # ordered set

    def _use(self, found: tuple) -> Any:
        value, note = found
        if note:
            self.assumed[note] = None
        return value

    def detection(self) -> Bound:
        app = self.application
        found = self.cache.detection.get(app.id)
        if found is None:
            if app.detection_time is not None:
                found = (Bound(app.name, "detection_time_seconds", app.detection_time), None)
            else:
                value = self.cache.defaults.detection_seconds
                found = (
                    Bound(app.name, "detection_time_seconds", value, assumed=True),
                    f"detection time of {app.name} ({format_seconds(value)}, default)",
                )
            self.cache.detection[app.id] = found
        return self._use(found)

    def failover(self) -> Bound:
        app = self.application
        if app.failover_time is not None:
            return Bound(app.name, "failover_time_seconds", app.failover_time)
        value = app.strategy.best_rto_seconds
        self.assumed[
            f"failover time of {app.name} ({format_seconds(value)}, the best RTO of "
            f"{app.strategy.name})"
        ] = None
        return Bound(app.name, "failover_time_seconds", value, assumed=True)

    def recovery(self, component: ComponentData) -> Bound:
        found = self.cache.recovery.get(component.id)
        if found is None:
            if component.recovery_time is not None:
                bound = Bound(
                    component.name, "recovery_time_seconds", component.recovery_time, component.id
                )
                found = (bound, None)
            else:
                value = self.cache.defaults.recovery_seconds
                found = (
                    Bound(
                        component.name, "recovery_time_seconds", value, component.id, assumed=True
                    ),
                    f"recovery time of {component.name} ({format_seconds(value)}, default)",
                )
            self.cache.recovery[component.id] = found
        return self._use(found)

    def loss(self, component: ComponentData, *, replicas: bool, pitr: bool) -> Bound:
        key = (component.id, replicas, pitr)
        found = self.cache.losses.get(key)
        if found is None:
            found = self.cache.losses[key] = _store_loss(component, replicas=replicas, pitr=pitr)
        return found

    def regions(self, component: ComponentData) -> frozenset[str]:
        """Where the component runs; the application's regions when none are recorded."""
        key = (component.id, self.application.id)
        found = self.cache.regions.get(key)
        if found is None:
            if component.regions:
                found = (frozenset(code for code, _ in component.regions), None)
            else:
                codes = frozenset(code for code, _ in self.application.regions)
                note = f"regions of {component.name} (the application's)" if codes else None
                found = (codes, note)
            self.cache.regions[key] = found
        return self._use(found)


def _slowest(bounds: Iterable[Bound]) -> Bound | None:
    """The largest figure; ties go to the first name in alphabetical order."""
    return min(bounds, key=lambda b: (-(b.value or 0), b.name), default=None)


def _worst_loss(losses: Iterable[Bound]) -> Bound | None:
    """The largest loss; no copy at all (value None) is worse than any."""
    return min(losses, key=lambda b: (b.value is not None, -(b.value or 0), b.name), default=None)


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
    losses: list[Bound],
    inputs: _Inputs,
    tree: list[ComponentData],
    note: str = "",
) -> Achievable:
    rto = detection.value or 0
    if rto_bound is not None and (rto_bound.value or 0) > 0:
        rto += rto_bound.value or 0
    else:
        rto_bound = detection
    rpo_bound = _worst_loss(losses)
    return Achievable(
        disruption=disruption,
        rto=rto,
        rpo=rpo_bound.value if rpo_bound else 0,
        rto_bound=rto_bound,
        rpo_bound=rpo_bound,
        assumed=tuple(inputs.assumed),
        unrecoverable=_unrecoverable(losses, tree),
        note=note,
    )


def _unrecoverable(losses: list[Bound], tree: list[ComponentData]) -> tuple[ComponentData, ...]:
    """The stores of `tree` whose loss has no copy at all, by name."""
    lost = [b for b in losses if b.value is None and b.component_id is not None]
    if not lost:
        return ()
    components = {c.id: c for c in tree}
    return tuple(components[b.component_id] for b in sorted(lost, key=lambda b: b.name))


def hard_tree(step: StepData, graph: DependencyGraph) -> list[ComponentData]:
    """The distinct components the step reaches through hard edges, by name."""
    tree = [graph.components[cid] for cid, hard in graph.reachable(step.id).items() if hard]
    return sorted(tree, key=lambda c: (c.name, c.id))


def component_failure(
    step: StepData, tree: list[ComponentData], cache: RecoveryCache
) -> Achievable:
    inputs = _Inputs(step.application, cache)
    detection = inputs.detection()
    slowest = _slowest(inputs.recovery(c) for c in tree)
    losses = [inputs.loss(c, replicas=True, pitr=True) for c in tree if c.data_store]
    return _result(Disruption.COMPONENT, detection, slowest, losses, inputs, tree)


def data_corruption(step: StepData, tree: list[ComponentData], cache: RecoveryCache) -> Achievable:
    inputs = _Inputs(step.application, cache)
    detection = inputs.detection()
    stores = [c for c in tree if c.data_store]
    slowest = _slowest(inputs.recovery(c) for c in stores)
    losses = [inputs.loss(c, replicas=False, pitr=True) for c in stores]
    return _result(Disruption.DATA_CORRUPTION, detection, slowest, losses, inputs, tree)


def region_loss(step: StepData, tree: list[ComponentData], cache: RecoveryCache) -> Achievable:
    """The worst over the regions the application runs in (those of its tree when it
    records none): each lost in turn."""
    application = step.application
    probe = _Inputs(application, cache)
    lost_regions = sorted(
        {code for code, _ in application.regions} or set().union(*map(probe.regions, tree))
    )
    if not lost_regions:
        inputs = _Inputs(application, cache)
        detection = inputs.detection()
        return Achievable(
            Disruption.REGION,
            detection.value or 0,
            None,
            detection,
            None,
            tuple(inputs.assumed),
            note="No region is recorded for the application or its dependencies, so the "
            "loss of one cannot be assessed.",
        )
    results = [_lose_region(step, tree, cache, region) for region in lost_regions]
    worst_rto = max(results, key=lambda r: r.rto)
    worst_rpo = max(results, key=lambda r: (r.rpo is None, r.rpo or 0))
    assumed: dict[str, None] = {}
    unrecoverable: dict[int, ComponentData] = {}
    for result in results:
        assumed.update(dict.fromkeys(result.assumed))
        unrecoverable.update({c.id: c for c in result.unrecoverable})
    return Achievable(
        Disruption.REGION,
        worst_rto.rto,
        worst_rpo.rpo,
        worst_rto.rto_bound,
        worst_rpo.rpo_bound,
        tuple(assumed),
        tuple(sorted(unrecoverable.values(), key=lambda c: (c.name, c.id))),
    )


@dataclass(slots=True)
class RegionOutcome:
    """What the loss of one region does to one component of a tree."""

    stays: bool  # it serves from outside the lost region (or ran elsewhere)
    loss: Bound | None  # a data store's loss, from its best copy outside the region
    rebuild: Bound | None  # the rebuild it needs, when nothing of it survives
    notes: tuple[str, ...]  # the assumed inputs it read, in order


def _region_outcome(
    component: ComponentData, application: ApplicationData, cache: RecoveryCache, lost: str
) -> RegionOutcome:
    inputs = _Inputs(application, cache)
    regions = inputs.regions(component)
    if regions and lost not in regions:
        return RegionOutcome(True, None, None, tuple(inputs.assumed))  # untouched
    if component.data_store:
        copies = regions | set(component.replica_regions)
        if component.replication != "none" and copies - {lost}:
            loss = inputs.loss(component, replicas=True, pitr=False)
            return RegionOutcome(True, loss, None, tuple(inputs.assumed))
        if component.backup_interval is not None and set(component.backup_copy_regions) - {lost}:
            loss = inputs.loss(component, replicas=False, pitr=False)
        else:
            loss = Bound(component.name, "no copy", None, component.id)
        return RegionOutcome(False, loss, inputs.recovery(component), tuple(inputs.assumed))
    if regions - {lost}:
        return RegionOutcome(True, None, None, tuple(inputs.assumed))
    return RegionOutcome(False, None, inputs.recovery(component), tuple(inputs.assumed))


def _lose_region(
    step: StepData, tree: list[ComponentData], cache: RecoveryCache, lost: str
) -> Achievable:
    application = step.application
    inputs = _Inputs(application, cache)
    detection = inputs.detection()
    everywhere_else = True  # every hard dependency serves from outside the lost region
    rebuilds: list[Bound] = []
    losses: list[Bound] = []
    for component in tree:
        # Many trees share components: each one's outcome is worked out once.
        key = (component.id, lost, None if component.regions else application.id)
        outcome = cache.outcomes.get(key)
        if outcome is None:
            outcome = cache.outcomes[key] = _region_outcome(component, application, cache, lost)
        inputs.assumed.update(dict.fromkeys(outcome.notes))
        if outcome.loss is not None:
            losses.append(outcome.loss)
        if outcome.rebuild is not None:
            rebuilds.append(outcome.rebuild)
        everywhere_else = everywhere_else and outcome.stays
    serves_on = application.strategy.serves_all_regions and everywhere_else
    failover = (
        Bound(application.name, "failover_time_seconds", 0) if serves_on else inputs.failover()
    )
    # The failover and the rebuilds run side by side: the longer one counts.
    slowest = _slowest([failover, *rebuilds])
    return _result(Disruption.REGION, detection, slowest, losses, inputs, tree)


DISRUPTIONS = {
    Disruption.COMPONENT: component_failure,
    Disruption.REGION: region_loss,
    Disruption.DATA_CORRUPTION: data_corruption,
}


def achievable_recovery(
    step: StepData,
    graph: DependencyGraph,
    defaults: RecoveryDefaults,
    cache: RecoveryCache | None = None,
) -> dict[str, Achievable]:
    """The step's achievable RTO and RPO for each disruption (`cache`: shared by the
    steps of one computation)."""
    cache = cache or RecoveryCache(defaults)
    tree = hard_tree(step, graph)
    key = (step.application.id, *(component.id for component in tree))
    found = cache.results.get(key)
    if found is None:
        found = {disruption: rule(step, tree, cache) for disruption, rule in DISRUPTIONS.items()}
        cache.results[key] = found
    return found


# --- Drills --------------------------------------------------------------------------


@dataclass(frozen=True)
class DrillData:
    """A recovery test as the rules read it."""

    id: int
    application_id: int
    step_id: int | None
    disruption: str
    performed_on: date
    outcome: str
    measured_rto: int | None = None
    measured_rpo: int | None = None

    @property
    def passed(self) -> bool:
        return self.outcome == RecoveryTestOutcome.PASSED


class Drills:
    """A team's recovery tests, newest first, by application and disruption."""

    def __init__(self, drills: Iterable[DrillData]) -> None:
        self.by_disruption: dict[tuple[int, str], list[DrillData]] = {}
        self.of_steps: set[tuple[int, str]] = set()  # some test names a step
        for drill in sorted(drills, key=lambda d: (d.performed_on, d.id), reverse=True):
            key = (drill.application_id, drill.disruption)
            self.by_disruption.setdefault(key, []).append(drill)
            if drill.step_id is not None:
                self.of_steps.add(key)

    def of(
        self, application_id: int, disruption: str, step_id: int | None = None
    ) -> list[DrillData]:
        """Tests of the disruption for the application, newest first; with `step_id`,
        those of that step or of the whole application."""
        tests = self.by_disruption.get((application_id, disruption), [])
        if step_id is None or (application_id, disruption) not in self.of_steps:
            return tests
        return [d for d in tests if d.step_id is None or d.step_id == step_id]

    def evidence(
        self,
        application: ApplicationData,
        disruption: str,
        today: date,
        step_id: int | None = None,
    ) -> DrillData | None:
        """The latest passed test within the tier's interval (ever, when the tier sets
        none): the measured figures the gap findings then use."""
        interval = application.tier.recovery_test_interval_days
        since = today - timedelta(days=interval) if interval else date.min
        return next(
            (
                d
                for d in self.of(application.id, disruption, step_id)
                if d.passed and d.performed_on >= since
            ),
            None,
        )
