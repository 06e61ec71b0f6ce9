"""The demo team: the applications of the sample worksheet with their steps, dependency
trees, recovery set-up and drills, failure modes and actions. Every write is
get-or-create on a natural key, so seeding twice leaves the same rows."""

import csv
import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from registry.choices import (
    ActionStatus,
    AvailabilityBasis,
    ComponentKind,
    Disruption,
    FailureCategory,
    FailureModeStatus,
    IncidentSource,
    RecoveryTestOutcome,
    Replication,
    Role,
)
from registry.models import (
    Action,
    Application,
    BusinessFunction,
    Component,
    Dependency,
    DrStrategy,
    FailureMode,
    FailureModeTemplate,
    Incident,
    Membership,
    RecoveryTest,
    Region,
    Step,
    Team,
    Tier,
)
from registry.services.reference_data import DATA_DIR

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-password"  # the documented demo login

APPLICATIONS = {
    # name: (business function, function priority, tier, DR strategy, regions, residency, owner)
    "Order processing": (
        "Process purchase transactions",
        1,
        1,
        "backup_restore",
        ["eu-west-1"],
        "EU",
        "alice",
    ),
    # Recorded as pilot light, but only one region is listed: a multi-region strategy
    # with nowhere to recover to.
    "Clickstream analytics": (
        "Analyse clickstream",
        4,
        4,
        "pilot_light",
        ["us-east-1"],
        "",
        "dave",
    ),
}
STEPS = {
    # name, or (name, own RTO seconds, own availability %, reason for looser objectives)
    "Order processing": [
        "Browse catalogue",
        "Add to cart",
        "Pay",
        "Confirm order",
    ],
    "Clickstream analytics": [
        # Its own 99.9 % allows under 9 hours of downtime a year, less than the tier's
        # 48-hour RTO: objectives at odds with each other.
        ("Ingest events", None, "99.9", ""),
        # Recorded with a 72-hour RTO before Tier 4's was tightened to 48 hours, and no
        # reason: a looser objective nobody has explained.
        ("Build daily reports", 72 * 3600, None, ""),
    ],
}
COMPONENTS = {
    # name: (kind, availability % or None when no figure is known, regions); a figure
    # is a published SLA unless MEASURED names it.
    "DNS": (ComponentKind.NETWORK, "99.99", []),
    "Web front end": (ComponentKind.SERVICE, "99.95", ["eu-west-1"]),
    "Catalogue service": (ComponentKind.SERVICE, "99.95", ["eu-west-1"]),
    "Cart service": (ComponentKind.SERVICE, "99.95", ["eu-west-1"]),
    "Cart table": (ComponentKind.DATABASE, "99.99", ["eu-west-1"]),
    "Orders service": (ComponentKind.SERVICE, "99.95", ["eu-west-1"]),
    # Two regions, but Order processing restores from backups: the second region does
    # not add availability.
    "Orders table": (ComponentKind.DATABASE, "99.9", ["eu-west-1", "eu-central-1"]),
    # Processes card data in the US although order data must stay in the EU.
    "Payment provider": (ComponentKind.THIRD_PARTY, "99.9", ["us-east-1"]),
    # Nobody knows its figure: findings say they assume one.
    "Card network API": (ComponentKind.THIRD_PARTY, None, []),
    "Order events queue": (ComponentKind.QUEUE, "99.9", ["eu-west-1"]),
    "Event stream": (ComponentKind.QUEUE, "99.9", ["us-east-1"]),
    "Analytics warehouse": (ComponentKind.DATABASE, "99.5", ["us-east-1"]),
    "Clickstream analytics": (ComponentKind.APPLICATION, "95", ["us-east-1"]),
}
# Figures measured by monitoring: component → days of monitoring they cover.
MEASURED = {"Analytics warehouse": 90}
# Recovery inputs: component → its recovery fields. The Orders table has an async
# replica in Frankfurt and point-in-time recovery; the Cart table only nightly backups,
# kept in Ireland beside it (lost with the region); the rest have no figure entered
# and count the configured assumption.
RECOVERY = {
    "Web front end": {"recovery_time_seconds": 60},
    "Catalogue service": {"recovery_time_seconds": 300},
    "Cart service": {"recovery_time_seconds": 300},
    "Orders service": {"recovery_time_seconds": 300},
    "Orders table": {
        "recovery_time_seconds": 900,
        "replication": Replication.ASYNC,
        "replication_lag_seconds": 5,
        "point_in_time_recovery": True,
        "pitr_window_days": 7,
        "backup_interval_seconds": 86400,
    },
    "Cart table": {"recovery_time_seconds": 1800, "backup_interval_seconds": 86400},
    "Order events queue": {
        "recovery_time_seconds": 120,
        "replication": Replication.SYNC,
        "backup_interval_seconds": 3600,
    },
    "Event stream": {"replication": Replication.SYNC, "backup_interval_seconds": 3600},
    "Analytics warehouse": {"backup_interval_seconds": 86400},
}
REPLICA_REGIONS = {"Orders table": ["eu-central-1"]}
BACKUP_COPY_REGIONS = {
    "Orders table": ["eu-central-1"],
    "Cart table": ["eu-west-1"],
    "Order events queue": ["eu-central-1"],
    "Event stream": ["us-west-2"],
    "Analytics warehouse": ["us-west-2"],
}
APPLICATION_RECOVERY = {"Order processing": {"detection_time_seconds": 300}}
# Drills: (application, disruption, days ago, outcome, measured RTO, measured RPO, scenario)
RECOVERY_TESTS = [
    (
        "Order processing",
        Disruption.REGION,
        40,
        RecoveryTestOutcome.PASSED,
        5400,
        5,
        "Took eu-west-1 out of DNS, promoted the Orders table replica in eu-central-1 and "
        "redeployed the services there from the pipeline.",
    ),
    (
        "Order processing",
        Disruption.DATA_CORRUPTION,
        20,
        RecoveryTestOutcome.FAILED,
        10800,
        60,
        "Restored the Orders table to the second before a bad migration; the restore "
        "took three hours because the runbook named a retired snapshot bucket.",
    ),
]
STEP_DEPENDENCIES = {
    # (application, step): [(component, hard)]
    ("Order processing", "Browse catalogue"): [
        ("Web front end", True),
        ("Catalogue service", True),
    ],
    ("Order processing", "Add to cart"): [("Web front end", True), ("Cart service", True)],
    ("Order processing", "Pay"): [
        ("Web front end", True),
        ("Orders service", True),
        ("Payment provider", True),
    ],
    ("Order processing", "Confirm order"): [
        ("Orders service", True),
        ("Order events queue", True),
        ("Clickstream analytics", False),
    ],
    ("Clickstream analytics", "Ingest events"): [("Event stream", True)],
    ("Clickstream analytics", "Build daily reports"): [
        ("Analytics warehouse", True),
        ("Event stream", False),
    ],
}
COMPONENT_DEPENDENCIES = [
    # (dependant, dependency, hard)
    ("Web front end", "DNS", True),
    ("Cart service", "Cart table", True),
    ("Orders service", "Orders table", True),
    ("Clickstream analytics", "Event stream", True),
    ("Payment provider", "Card network API", True),
]
# Failure modes beyond the sample worksheet, taken from the library:
# (application, step, component, library mode, action, owner, due date, action status)
LIBRARY_FAILURE_MODES = [
    ("Order processing", "Pay", None, "Region outage", "", "", None, None),
    (
        "Order processing",
        "Pay",
        "Orders table",
        "Primary database instance fails",
        "Enable a synchronous standby with automatic failover",
        "carol",
        datetime.date(2026, 10, 1),
        ActionStatus.OPEN,
    ),
    (
        "Order processing",
        "Pay",
        "Orders table",
        "Silent data corruption by a bad deploy",
        "",
        "",
        None,
        None,
    ),
    (
        "Order processing",
        "Browse catalogue",
        "Web front end",
        "Bad deployment",
        "",
        "",
        None,
        None,
    ),
    (
        "Order processing",
        "Browse catalogue",
        "Web front end",
        "TLS certificate expires",
        "Switch to automatically renewed certificates",
        "bob",
        datetime.date(2026, 9, 15),
        ActionStatus.DONE,
    ),
]


@transaction.atomic
def seed_demo() -> Team:
    """Create (or complete) the demo team and its register; return the team."""
    team, _ = Team.objects.get_or_create(slug="demo", defaults={"name": "Demo retail"})
    user = _demo_user()
    Membership.objects.get_or_create(team=team, user=user, defaults={"role": Role.OWNER})

    applications = _applications(team)
    steps = _steps(applications)
    components = _components(team, applications)
    for (app_name, step_name), needs in STEP_DEPENDENCIES.items():
        for component_name, hard in needs:
            Dependency.objects.get_or_create(
                step=steps[app_name, step_name],
                component=components[component_name],
                defaults={"hard": hard},
            )
    for dependant, dependency, hard in COMPONENT_DEPENDENCIES:
        Dependency.objects.get_or_create(
            dependant_component=components[dependant],
            component=components[dependency],
            defaults={"hard": hard},
        )
    _worksheet_failure_modes(team, steps, components, user)
    _library_failure_modes(team, steps, components, user)
    _recovery_tests(team, applications, user)
    _incidents(team)
    return team


def _recovery_tests(team: Team, applications: dict[str, Application], user) -> None:
    today = timezone.localdate()
    for app_name, disruption, days_ago, outcome, rto, rpo, scenario in RECOVERY_TESTS:
        RecoveryTest.objects.get_or_create(
            team=team,
            application=applications[app_name],
            disruption=disruption,
            scenario=scenario,
            defaults={
                "performed_on": today - datetime.timedelta(days=days_ago),
                "outcome": outcome,
                "measured_rto_seconds": rto,
                "measured_rpo_seconds": rpo,
                "recorded_by": user,
            },
        )


def _incidents(team: Team) -> None:
    """Two past incidents: one an occurrence of a worksheet failure mode (rated so that
    it agrees with the evidence), one not yet linked to any."""
    now = timezone.now().replace(second=0, microsecond=0)
    subject = (
        FailureMode.objects.filter(team=team, probability__gte=4, detectability__gte=2)
        .exclude(component=None)
        .order_by("pk")
        .first()
    )
    rows = (
        ("demo-1", "Checkout errors while the primary database failed over", 41, 4, 38),
        ("demo-2", "Card network API timeouts at peak", 9, 12, 95),
    )
    for external_id, title, days_ago, detect_minutes, down_minutes in rows:
        started = now - datetime.timedelta(days=days_ago)
        incident, created = Incident.objects.get_or_create(
            team=team,
            source=IncidentSource.MANUAL,
            external_id=external_id,
            defaults={
                "title": title,
                "started_at": started,
                "detected_at": started + datetime.timedelta(minutes=detect_minutes),
                "resolved_at": started + datetime.timedelta(minutes=down_minutes),
                "severity": "high",
            },
        )
        if created and subject is not None and external_id == "demo-1":
            incident.failure_modes.add(subject)
            incident.components.add(subject.component)


def _demo_user():
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=DEMO_USERNAME,
        defaults={"email": "demo@example.com", "is_staff": True, "is_superuser": True},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _applications(team: Team) -> dict[str, Application]:
    applications = {}
    for name, (
        function,
        priority,
        level,
        strategy,
        regions,
        residency,
        owner,
    ) in APPLICATIONS.items():
        business_function, _ = BusinessFunction.objects.get_or_create(
            team=team, name=function, defaults={"priority": priority}
        )
        application, created = Application.objects.get_or_create(
            team=team,
            name=name,
            defaults={
                "business_function": business_function,
                "tier": Tier.objects.get(level=level),
                "dr_strategy": DrStrategy.objects.get(code=strategy),
                "data_residency": residency,
                "owner": owner,
                **APPLICATION_RECOVERY.get(name, {}),
            },
        )
        if created:
            application.regions.set(Region.objects.filter(code__in=regions))
        applications[name] = application
    return applications


def _steps(applications: dict[str, Application]) -> dict[tuple[str, str], Step]:
    steps = {}
    for app_name, entries in STEPS.items():
        for order, entry in enumerate(entries, start=1):
            name, rto, availability, reason = (
                (entry, None, None, "") if isinstance(entry, str) else entry
            )
            # Written directly, as older data or a tier change would leave them: the
            # findings, not the form, are what the demo shows.
            steps[app_name, name] = Step.objects.get_or_create(
                application=applications[app_name],
                name=name,
                defaults={
                    "order": order,
                    "rto_seconds": rto,
                    "availability_target": Decimal(availability) if availability else None,
                    "objective_reason": reason,
                },
            )[0]
    return steps


def _components(team: Team, applications: dict[str, Application]) -> dict[str, Component]:
    components = {}
    for name, (kind, availability, regions) in COMPONENTS.items():
        if availability is None:
            basis = AvailabilityBasis.ASSUMED
        elif name in MEASURED:
            basis = AvailabilityBasis.MEASURED
        else:
            basis = AvailabilityBasis.SLA
        component, created = Component.objects.get_or_create(
            team=team,
            name=name,
            defaults={
                "kind": kind,
                "availability": Decimal(availability) if availability else None,
                "availability_basis": basis,
                "availability_measured_over_days": MEASURED.get(name),
                "application": applications.get(name),
                **RECOVERY.get(name, {}),
            },
        )
        if created:
            component.regions.set(Region.objects.filter(code__in=regions))
            component.replica_regions.set(
                Region.objects.filter(code__in=REPLICA_REGIONS.get(name, []))
            )
            component.backup_copy_regions.set(
                Region.objects.filter(code__in=BACKUP_COPY_REGIONS.get(name, []))
            )
        components[name] = component
    return components


def demo_decision(status: str, user) -> dict:
    """The demo's accepted risks are decided by its owner, for half a year."""
    if status == FailureModeStatus.ACCEPTED:
        return {
            "acceptance_rationale": "Low severity for a tier-4 analytics feed; the "
            "dead-letter queue bounds the stall to one partition.",
            "acceptance_expires_on": timezone.localdate() + datetime.timedelta(days=180),
            "accepted_by": user,
        }
    if status == FailureModeStatus.CLOSED:
        return {"closed_reason": "The component was retired."}
    return {}


def _worksheet_failure_modes(team, steps, components, user) -> None:
    categories = dict(FailureModeTemplate.objects.values_list("mode", "failure_category"))
    with (DATA_DIR / "sample_worksheet.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            failure_mode, _ = FailureMode.objects.get_or_create(
                step=steps[row["application"], row["step"]],
                mode=row["mode"],
                defaults={
                    "team": team,
                    "component": components[row["component"]],
                    "failure_category": categories.get(
                        row["mode"], FailureCategory.SINGLE_POINT_OF_FAILURE
                    ),
                    "effect": row["effect"],
                    "cause": row["cause"],
                    "prevention_controls": row["prevention_controls"],
                    "detection_controls": row["detection_controls"],
                    "severity": int(row["severity"]),
                    "probability": int(row["probability"]),
                    "detectability": int(row["detectability"]),
                    "status": row["status"],
                    "created_by": user,
                    "updated_by": user,
                    **demo_decision(row["status"], user),
                },
            )
            if row["action"]:
                Action.objects.get_or_create(
                    failure_mode=failure_mode,
                    description=row["action"],
                    defaults={
                        "owner": row["action_owner"],
                        "due_date": datetime.date.fromisoformat(row["action_due"]),
                    },
                )


def _library_failure_modes(team, steps, components, user) -> None:
    for (
        app_name,
        step_name,
        component_name,
        mode,
        action,
        owner,
        due,
        status,
    ) in LIBRARY_FAILURE_MODES:
        template = FailureModeTemplate.objects.filter(mode=mode).first()
        failure_mode, _ = FailureMode.objects.get_or_create(
            step=steps[app_name, step_name],
            mode=mode,
            defaults={
                "team": team,
                "component": components.get(component_name),
                "failure_category": template.failure_category,
                "effect": template.effect,
                "cause": template.cause,
                "prevention_controls": template.prevention_controls,
                "detection_controls": template.detection_controls,
                "severity": template.severity,
                "probability": template.probability,
                "detectability": template.detectability,
                "created_by": user,
                "updated_by": user,
            },
        )
        if action:
            Action.objects.get_or_create(
                failure_mode=failure_mode,
                description=action,
                defaults={
                    "owner": owner,
                    "due_date": due,
                    "status": status,
                    "completed_at": (
                        datetime.datetime(2026, 9, 10, tzinfo=datetime.UTC)
                        if status == ActionStatus.DONE
                        else None
                    ),
                },
            )
