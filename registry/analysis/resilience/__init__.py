"""Resilience rules: plain functions over plain data, one per finding kind.

They know nothing of the ORM (no Django models are imported here); the findings
engine (registry.analysis.findings) loads a team's data into these shapes, runs the
rules and stores what they find.

- facts: the data shapes the rules read, and how findings word their numbers;
- objectives: DR strategies and regions against the tiers' objectives, data
  residency, the tiers' own consistency, worksheet reviews;
- dependencies: the dependency graph, composite availability, cycles, tier inversions
  and common dependencies (blast radius).
"""

from registry.analysis.resilience.dependencies import (
    Composite,
    DependencyGraph,
    Figure,
    assumption_note,
    common_dependencies,
    composite_availability_gaps,
    dependency_cycles,
    tier_inversions,
)
from registry.analysis.resilience.facts import (
    COMMON_DEPENDENCY_MIN_STEPS,
    FIVE_NINES,
    SECONDS_PER_YEAR,
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
    downtime_budget,
    dr_strategy_gaps,
    dr_strategy_single_region,
    reviews_overdue,
    single_region_high_availability,
    step_objectives_relaxed,
    strictest_objectives,
    tier_objectives_inconsistent,
)

__all__ = [
    "COMMON_DEPENDENCY_MIN_STEPS",
    "FIVE_NINES",
    "SECONDS_PER_YEAR",
    "ApplicationData",
    "ComponentData",
    "Composite",
    "DependencyGraph",
    "Edge",
    "Figure",
    "FindingData",
    "StepData",
    "StrategyData",
    "TierData",
    "assumption_note",
    "common_dependencies",
    "composite_availability_gaps",
    "data_residency_conflicts",
    "dependency_cycles",
    "downtime_budget",
    "dr_strategy_gaps",
    "dr_strategy_single_region",
    "format_duration",
    "format_percent",
    "reviews_overdue",
    "severity_for_tier",
    "single_region_high_availability",
    "step_objectives_relaxed",
    "strictest_objectives",
    "tier_inversions",
    "tier_objectives_inconsistent",
]
