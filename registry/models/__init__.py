from registry.jobs import JobStatus
from registry.models.applications import Application, BusinessFunction, Step
from registry.models.base import StaleEditError
from registry.models.baselines import Baseline, ImmutableBaselineError
from registry.models.components import Component, Dependency
from registry.models.failure_modes import Action, FailureMode
from registry.models.identity import GroupMapping, ProviderMembership
from registry.models.imports import WorksheetImport
from registry.models.incidents import Incident, IncidentReceiver, PagerDutyService
from registry.models.recovery import RecoveryTest
from registry.models.reference import DrStrategy, FailureModeTemplate, RatingScale, Region, Tier
from registry.models.reports import ReportFormat, ReportRun, ReportSchedule
from registry.models.rollups import (
    ApplicationRollup,
    Finding,
    FindingSuppression,
    RollupSnapshot,
    TeamRecompute,
    TeamRevision,
    TierRollup,
)
from registry.models.teams import Invitation, Membership, Team
from registry.models.webhooks import WebhookDelivery, WebhookSubscription

__all__ = [
    "Action",
    "Application",
    "ApplicationRollup",
    "Baseline",
    "BusinessFunction",
    "Component",
    "Dependency",
    "DrStrategy",
    "FailureMode",
    "FailureModeTemplate",
    "Finding",
    "FindingSuppression",
    "GroupMapping",
    "ImmutableBaselineError",
    "Incident",
    "IncidentReceiver",
    "Invitation",
    "JobStatus",
    "Membership",
    "PagerDutyService",
    "ProviderMembership",
    "RatingScale",
    "RecoveryTest",
    "Region",
    "ReportFormat",
    "ReportRun",
    "ReportSchedule",
    "RollupSnapshot",
    "StaleEditError",
    "Step",
    "Team",
    "TeamRecompute",
    "TeamRevision",
    "Tier",
    "TierRollup",
    "WebhookDelivery",
    "WebhookSubscription",
    "WorksheetImport",
]
