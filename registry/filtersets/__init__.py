"""Every FilterSet of the register, one module per area, shared by the browser lists and
the API (a list's URL and its CSV export select the same rows)."""

from registry.filtersets.baselines import BaselineFilterSet
from registry.filtersets.incidents import IncidentFilterSet
from registry.filtersets.recovery import RecoveryTestFilterSet
from registry.filtersets.reference import (
    DrStrategyFilterSet,
    FailureModeTemplateFilterSet,
    RatingScaleFilterSet,
    RegionFilterSet,
    TierFilterSet,
)
from registry.filtersets.register import (
    ActionFilterSet,
    ApplicationFilterSet,
    BusinessFunctionFilterSet,
    ComponentFilterSet,
    DependencyFilterSet,
    FailureModeFilterSet,
    StepFilterSet,
)

__all__ = [
    "ActionFilterSet",
    "ApplicationFilterSet",
    "BaselineFilterSet",
    "BusinessFunctionFilterSet",
    "ComponentFilterSet",
    "DependencyFilterSet",
    "DrStrategyFilterSet",
    "FailureModeFilterSet",
    "FailureModeTemplateFilterSet",
    "IncidentFilterSet",
    "RatingScaleFilterSet",
    "RecoveryTestFilterSet",
    "RegionFilterSet",
    "StepFilterSet",
    "TierFilterSet",
]
