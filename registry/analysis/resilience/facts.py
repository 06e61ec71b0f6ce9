"""The plain data the resilience rules read, and how findings word their numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

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
