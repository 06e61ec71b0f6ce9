"""Fixed vocabularies of the register."""

from decimal import Decimal

from django.db import models


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    EDITOR = "editor", "Editor"
    OWNER = "owner", "Owner"


class ComponentKind(models.TextChoices):
    APPLICATION = "application", "Application"
    SERVICE = "service", "Service"
    DATABASE = "database", "Database"
    QUEUE = "queue", "Queue"
    STORAGE = "storage", "Storage"
    NETWORK = "network", "Network"
    THIRD_PARTY = "third_party", "Third-party API"


#: Kinds that keep data: only these have replication, backups and point-in-time recovery.
DATA_STORE_KINDS = (ComponentKind.DATABASE, ComponentKind.STORAGE, ComponentKind.QUEUE)


class Replication(models.TextChoices):
    """How a data store copies its writes to a replica."""

    NONE = "none", "None"
    ASYNC = "async", "Asynchronous (a replica lags behind)"
    SYNC = "sync", "Synchronous (a write waits for the replica)"


class Disruption(models.TextChoices):
    """What a recovery is from: the figures differ for each."""

    COMPONENT = "component", "Component failure"
    REGION = "region", "Region loss"
    DATA_CORRUPTION = "data_corruption", "Data corruption"


class RecoveryTestOutcome(models.TextChoices):
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    PARTIAL = "partial", "Partial"


class AvailabilityBasis(models.TextChoices):
    """Where a component's availability figure comes from."""

    ASSUMED = "assumed", "Assumed (no figure entered)"
    SLA = "sla", "Provider's published SLA"
    MEASURED = "measured", "Measured by monitoring"


#: The figure every component silently had before the basis was recorded.
OLD_DEFAULT_AVAILABILITY = Decimal("99.9")


def legacy_availability(figure: Decimal | str | float | None) -> tuple[Decimal | None, str]:
    """(availability, basis) for a figure recorded before the basis was: the old silent
    default becomes an assumption (no figure), another figure a published SLA."""
    if figure is None or Decimal(str(figure)) == OLD_DEFAULT_AVAILABILITY:
        return None, AvailabilityBasis.ASSUMED
    return Decimal(str(figure)), AvailabilityBasis.SLA


class TemplateComponentKind(models.TextChoices):
    """Component kinds a library template applies to; `any` fits every kind."""

    ANY = "any", "Any component"
    APPLICATION = ComponentKind.APPLICATION.value, ComponentKind.APPLICATION.label
    SERVICE = ComponentKind.SERVICE.value, ComponentKind.SERVICE.label
    DATABASE = ComponentKind.DATABASE.value, ComponentKind.DATABASE.label
    QUEUE = ComponentKind.QUEUE.value, ComponentKind.QUEUE.label
    STORAGE = ComponentKind.STORAGE.value, ComponentKind.STORAGE.label
    NETWORK = ComponentKind.NETWORK.value, ComponentKind.NETWORK.label
    THIRD_PARTY = ComponentKind.THIRD_PARTY.value, ComponentKind.THIRD_PARTY.label


class FailureCategory(models.TextChoices):
    """The resilience analysis taxonomy (data/failure_categories.csv)."""

    SINGLE_POINT_OF_FAILURE = "single_point_of_failure", "Single point of failure"
    EXCESSIVE_LOAD = "excessive_load", "Excessive load"
    EXCESSIVE_LATENCY = "excessive_latency", "Excessive latency"
    MISCONFIGURATION_AND_BUGS = "misconfiguration_and_bugs", "Misconfiguration and bugs"
    SHARED_FATE = "shared_fate", "Shared fate"


class FailureModeStatus(models.TextChoices):
    OPEN = "open", "Open"
    MITIGATING = "mitigating", "Mitigating"
    ACCEPTED = "accepted", "Accepted"
    CLOSED = "closed", "Closed"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    VERIFIED = "verified", "Verified"
    CANCELLED = "cancelled", "Cancelled"


class ActionKind(models.TextChoices):
    """What an action improves: the probability (prevention) or the detectability."""

    PREVENTION = "prevention", "Prevention"
    DETECTION = "detection", "Detection"


class ActionPriority(models.TextChoices):
    """AIAG-VDA action priority."""

    HIGH = "H", "High"
    MEDIUM = "M", "Medium"
    LOW = "L", "Low"


class RatingScaleName(models.TextChoices):
    SEVERITY = "severity", "Severity"
    PROBABILITY = "probability", "Probability"
    DETECTABILITY = "detectability", "Detectability"


class FindingKind(models.TextChoices):
    """What the register computes about a team's resilience set-up."""

    DR_STRATEGY_GAP = "dr_strategy_gap", "DR strategy cannot meet the objectives"
    SINGLE_REGION_HIGH_AVAILABILITY = (
        "single_region_high_availability",
        "High availability target in a single region",
    )
    COMPOSITE_AVAILABILITY_GAP = (
        "composite_availability_gap",
        "Dependencies cannot deliver the availability target",
    )
    DEPENDENCY_CYCLE = "dependency_cycle", "Dependency cycle"
    TIER_INVERSION = "tier_inversion", "Depends on a less critical application"
    DATA_RESIDENCY_CONFLICT = "data_residency_conflict", "Data residency conflict"
    UNMITIGATED_HIGH_RISK = "unmitigated_high_risk", "High risk without an action"
    TIER_OBJECTIVES_INCONSISTENT = (
        "tier_objectives_inconsistent",
        "RTO exceeds the downtime budget",
    )
    COMMON_DEPENDENCY = "common_dependency", "Common dependency of tier-1 steps"
    DR_STRATEGY_SINGLE_REGION = (
        "dr_strategy_single_region",
        "Multi-region DR strategy in one region",
    )
    STEP_OBJECTIVE_RELAXED = (
        "step_objective_relaxed",
        "Step objective looser than its tier's, without a reason",
    )
    MANAGEMENT_REVIEW_MISSING = "management_review_missing", "Management review missing"
    OVERDUE_ACTION = "overdue_action", "Overdue action"
    REVIEW_OVERDUE = "review_overdue", "Worksheet review overdue"
    RERATING_MISSING = "rerating_missing", "Actions done, not re-rated"
    ACCEPTANCE_EXPIRED = "acceptance_expired", "Risk acceptance expired"
    RECOVERY_TIME_GAP = "recovery_time_gap", "Dependencies cannot recover within the RTO"
    RECOVERY_POINT_GAP = "recovery_point_gap", "Dependencies would lose more data than the RPO"
    UNRECOVERABLE_DATA = "unrecoverable_data", "Data with no copy that survives a disruption"
    RECOVERY_UNTESTED = "recovery_untested", "Recovery not tested within the tier's interval"
    RECOVERY_TEST_FAILED = "recovery_test_failed", "Latest recovery test failed"
    PROBABILITY_CONTRADICTED = (
        "probability_contradicted",
        "Incidents contradict the probability rating",
    )
    DETECTABILITY_CONTRADICTED = (
        "detectability_contradicted",
        "Incidents contradict the detectability rating",
    )


class SuppressionStatus(models.TextChoices):
    """Why a finding is set aside: a decided exception, or not relevant here."""

    ACCEPTED = "accepted", "Accepted"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class SuppressionEnd(models.TextChoices):
    """Why a suppression ended and its finding came back."""

    LIFTED = "lifted", "Lifted by hand"
    EXPIRED = "expired", "Expired"
    FIGURES_CHANGED = "figures_changed", "The finding's figures changed"
    RESOLVED = "resolved", "The finding was resolved"


class FindingSeverity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


#: Failure modes still being worked on: the "open" figures and filters count these.
OPEN_FAILURE_MODE_STATUSES = (FailureModeStatus.OPEN, FailureModeStatus.MITIGATING)
#: Actions not yet finished: an overdue action is one of these past its due date.
OPEN_ACTION_STATUSES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)
#: Finding kinds renamed, still accepted as filter values for one release.
FINDING_KIND_ALIASES = {"shared_fate": FindingKind.COMMON_DEPENDENCY}
#: Actions carried out (verified ones too): a failure mode whose actions are all done
#: is due a re-rating.
DONE_ACTION_STATUSES = (ActionStatus.DONE, ActionStatus.VERIFIED)
#: The longest a risk acceptance or a finding's suppression may run, in days.
DECISION_MAX_DAYS = 366


class WebhookEvent(models.TextChoices):
    """What a webhook subscription can be told about."""

    FINDING_OPENED = "finding.opened", "A finding is opened"
    FINDING_RESOLVED = "finding.resolved", "A finding is resolved"
    PRIORITY_CHANGED = "failure_mode.priority_changed", "A failure mode's priority changes"
    ACTION_OVERDUE = "action.overdue", "An action is overdue"
    REPORT_READY = "report.ready", "A report is ready"


class DeliveryStatus(models.TextChoices):
    """Where one event's delivery to one subscription stands."""

    PENDING = "pending", "Pending"
    RETRYING = "retrying", "Retrying"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class IncidentSource(models.TextChoices):
    """Where an incident was recorded: by hand, by a receiver, or through the API."""

    MANUAL = "manual", "Entered by hand"
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
    PAGERDUTY = "pagerduty", "PagerDuty"
    API = "api", "API"


#: The sources whose events arrive at a receiver of their own.
RECEIVER_SOURCES = (IncidentSource.ALERTMANAGER, IncidentSource.PAGERDUTY)
RECEIVER_SOURCE_CHOICES = [(source.value, source.label) for source in RECEIVER_SOURCES]


class IncidentSeverity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"
