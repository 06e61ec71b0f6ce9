"""Resilience rules: plain functions over plain data, one per finding kind.

They know nothing of the ORM (no Django models are imported here); the findings
engine (registry.analysis.findings) loads a team's data into these shapes, runs the
rules and stores what they find.

- facts: the data shapes the rules read, and how findings word their numbers;
- objectives: DR strategies and regions against the tiers' objectives, data
  residency, the tiers' own consistency, worksheet reviews;
- dependencies: the dependency graph, composite availability, cycles, tier inversions
  and shared fate.
"""

from registry.analysis.resilience.dependencies import (
    DependencyGraph,
    composite_availability_gaps,
    dependency_cycles,
    shared_fate,
    tier_inversions,
)
from registry.analysis.resilience.facts import (
    FIVE_NINES,
    SECONDS_PER_YEAR,
    SHARED_FATE_MIN_STEPS,
    ApplicationData,
    ComponentData,
    Edge,
    FindingData,
    StepData,
    StrategyData,
    TierData,
    format_duration,
    format_percent,
    severity_for_tier,
)
from registry.analysis.resilience.objectives import (
    data_residency_conflicts,
    dr_strategy_gaps,
    reviews_overdue,
    single_region_high_availability,
    strictest_objectives,
    tier_objectives_inconsistent,
)

__all__ = [
    "FIVE_NINES",
    "SECONDS_PER_YEAR",
    "SHARED_FATE_MIN_STEPS",
    "ApplicationData",
    "ComponentData",
    "DependencyGraph",
    "Edge",
    "FindingData",
    "StepData",
    "StrategyData",
    "TierData",
    "composite_availability_gaps",
    "data_residency_conflicts",
    "dependency_cycles",
    "dr_strategy_gaps",
    "format_duration",
    "format_percent",
    "reviews_overdue",
    "severity_for_tier",
    "shared_fate",
    "single_region_high_availability",
    "strictest_objectives",
    "tier_inversions",
    "tier_objectives_inconsistent",
]
