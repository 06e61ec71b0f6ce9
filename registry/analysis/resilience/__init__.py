"""Resilience rules: plain functions over plain data, one per finding kind.

They know nothing of the ORM (no Django models are imported here); the findings
engine (registry.analysis.findings) loads a team's data into these shapes, runs the
rules and stores what they find.

- facts: the data shapes the rules read, and how findings word their numbers;
- objectives: DR strategies and regions against the tiers' objectives, data
  residency, the tiers' own consistency, worksheet reviews;
- dependencies: the dependency graph, composite availability, cycles, tier inversions
  and common dependencies (blast radius);
- recovery: achievable RTO and RPO per step and disruption from the dependency tree;
  recovery_gaps: those figures (or a drill's) against the objectives, and the drills.
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
from registry.analysis.resilience.drills import DrillData, Drills
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
from registry.analysis.resilience.recovery import (
    Achievable,
    Bound,
    RecoveryCache,
    RecoveryDefaults,
    achievable_recovery,
)
from registry.analysis.resilience.recovery_gaps import (
    RecoveryRow,
    assumed_inputs,
    recovery_gaps,
    recovery_tests_failed,
    recovery_untested,
    step_recovery,
)

__all__ = [
    "COMMON_DEPENDENCY_MIN_STEPS",
    "FIVE_NINES",
    "SECONDS_PER_YEAR",
    "Achievable",
    "ApplicationData",
    "Bound",
    "ComponentData",
    "Composite",
    "DependencyGraph",
    "DrillData",
    "Drills",
    "Edge",
    "Figure",
    "FindingData",
    "RecoveryCache",
    "RecoveryDefaults",
    "RecoveryRow",
    "StepData",
    "StrategyData",
    "TierData",
    "achievable_recovery",
    "assumed_inputs",
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
    "recovery_gaps",
    "recovery_tests_failed",
    "recovery_untested",
    "reviews_overdue",
    "severity_for_tier",
    "single_region_high_availability",
    "step_objectives_relaxed",
    "step_recovery",
    "strictest_objectives",
    "tier_inversions",
    "tier_objectives_inconsistent",
]
