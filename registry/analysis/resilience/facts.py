"""The plain data the resilience rules read, and how findings word their numbers."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime

from registry.choices import FindingKind, FindingSeverity
from registry.objectives import looser_objectives

SECONDS_PER_YEAR = 365 * 24 * 3600
FIVE_NINES = 99.999
COMMON_DEPENDENCY_MIN_STEPS = 3

Region = tuple[str, str]  # (code, country code; "" when not recorded)


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
    recovery_test_interval_days: int | None = None  # None: no drill required


@dataclass(frozen=True)
class StrategyData:
    code: str
    name: str
    cost_rank: int
    best_rto_seconds: int
    best_rpo_seconds: int
    multi_region: bool = False  # needs a second region
    serves_all_regions: bool = False  # serves from every region at once (active/active)

    def meets(self, rto_seconds: int, rpo_seconds: int) -> bool:
        return self.best_rto_seconds <= rto_seconds and self.best_rpo_seconds <= rpo_seconds


@dataclass(frozen=True)
class ApplicationData:
    id: int
    name: str
    tier: TierData
    strategy: StrategyData
    regions: tuple[Region, ...] = ()
    data_residency: str = ""  # a jurisdiction (registry.jurisdictions), "" when none
    detection_time: int | None = None  # seconds; None: the configured default
    failover_time: int | None = None  # seconds; None: the strategy's best RTO

    @property
    def active_regions(self) -> int:
        """Regions that serve at once: all of them under active/active, else one."""
        if self.strategy.serves_all_regions:
            return len(self.regions)
        return min(len(self.regions), 1)


@dataclass(frozen=True)
class StepData:
    """A step and its effective objectives, as `StepQuerySet.with_effective_objectives`
    computes them (the step's own where it sets one, its tier's otherwise)."""

    id: int
    name: str
    application: ApplicationData
    rto: int  # seconds
    rpo: int  # seconds
    target: float  # availability, percent
    own_availability: bool = False  # the step sets its own availability target
    objective_reason: str = ""  # why an objective is looser than the tier's
    last_reviewed_at: datetime | None = None
    created_at: datetime | None = None

    @property
    def label(self) -> str:
        return f"{self.application.name} / {self.name}"

    def looser_than_tier(self) -> list[str]:
        """The objectives the step sets looser than its tier's, as a person says them."""
        tier = self.application.tier
        looser = set(
            looser_objectives(
                (self.rto, self.rpo, self.target),
                (tier.rto_seconds, tier.rpo_seconds, tier.availability),
            )
        )
        said = []
        if "rto" in looser:
            said.append(
                f"RTO {format_duration(self.rto)} instead of {format_duration(tier.rto_seconds)}"
            )
        if "rpo" in looser:
            said.append(
                f"RPO {format_duration(self.rpo)} instead of {format_duration(tier.rpo_seconds)}"
            )
        if "availability" in looser:
            said.append(f"availability {self.target:g} % instead of {tier.availability:g} %")
        return said


@dataclass(frozen=True)
class ComponentData:
    id: int
    name: str
    availability: float  # percent, of one deployment (the assumption when `assumed`)
    regions: tuple[Region, ...] = ()
    application_id: int | None = None
    assumed: bool = False  # no figure entered: `availability` is the configured assumption
    # Recovery properties (registry.analysis.resilience.recovery); seconds.
    data_store: bool = False  # a database, storage or queue: it keeps data
    recovery_time: int | None = None  # None: the configured assumption
    replication: str = "none"  # none, async, sync
    replication_lag: int | None = None
    replica_regions: tuple[str, ...] = ()  # codes, beyond its own regions
    backup_interval: int | None = None  # None: not backed up
    backup_copy_regions: tuple[str, ...] = ()  # codes
    point_in_time_recovery: bool = False

    def availability_in(self, regions: int) -> float:
        """Availability (fraction) of `regions` parallel replicas: 1 − (1 − a)^n."""
        return 1 - (1 - self.availability / 100) ** max(regions, 1)


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
    assumed: bool = False  # rests on at least one assumed availability figure


def severity_for_tier(level: int) -> FindingSeverity:
    return {
        1: FindingSeverity.CRITICAL,
        2: FindingSeverity.HIGH,
        3: FindingSeverity.MEDIUM,
    }.get(level, FindingSeverity.LOW)


@functools.lru_cache(maxsize=4096)  # a recompute says the same few durations many times
def format_duration(seconds: float) -> str:
    """A duration as a person says it: 30 s, 10 min, 2 h, 1.5 d."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            value = seconds / size
            return f"{value:.0f} {unit}" if value == round(value) else f"{value:.1f} {unit}"
    return f"{seconds:.0f} s"


def format_percent(fraction: float) -> str:
    return f"{fraction * 100:.4f}".rstrip("0").rstrip(".") + " %"
