"""Computing and storing a team's resilience findings.

The structural rules (DR strategy, regions, dependency graph) load the team's
applications, steps, components and edges in a few queries and run the plain
functions of `registry.resilience`. The rules about failure modes and actions select
the flagged rows in SQL, so their cost does not grow with the rows that are fine.
"""

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from registry import resilience
from registry.choices import (
    ActionPriority,
    ActionStatus,
    FailureModeStatus,
    FindingKind,
    FindingSeverity,
)
from registry.models import (
    Action,
    Application,
    Component,
    Dependency,
    DrStrategy,
    FailureMode,
    Finding,
    Step,
    Tier,
)
from registry.resilience import FindingData

UPDATED_FIELDS = [
    "kind",
    "severity",
    "message",
    "details",
    "application",
    "step",
    "component",
    "failure_mode",
    "tier",
    "computed_at",
]


def tier_data(tier: Tier) -> resilience.TierData:
    return resilience.TierData(
        id=tier.id,
        level=tier.level,
        name=tier.name,
        rto_seconds=tier.rto_seconds,
        rpo_seconds=tier.rpo_seconds,
        availability=float(tier.availability_target),
        rpn_threshold=tier.rpn_threshold,
        review_interval_days=tier.review_interval_days,
        disasters_excluded=tier.disasters_excluded,
    )


def strategy_data(strategy: DrStrategy) -> resilience.StrategyData:
    return resilience.StrategyData(
        code=strategy.code,
        name=strategy.name,
        cost_rank=strategy.cost_rank,
        best_rto_seconds=strategy.best_rto_seconds,
        best_rpo_seconds=strategy.best_rpo_seconds,
    )


def structural_findings(team_id: int, now) -> list[FindingData]:
    """Findings about DR strategies, regions, objectives and the dependency graph."""
    tiers = {tier.id: tier_data(tier) for tier in Tier.objects.all()}
    strategies = {s.id: strategy_data(s) for s in DrStrategy.objects.all()}
    applications = {
        app.id: resilience.ApplicationData(
            id=app.id,
            name=app.name,
            tier=tiers[app.tier_id],
            strategy=strategies[app.dr_strategy_id],
            regions=tuple((region.code, region.jurisdiction) for region in app.regions.all()),
            data_residency=app.data_residency,
        )
        for app in Application.objects.filter(team_id=team_id).prefetch_related("regions")
    }
    steps = [
        resilience.StepData(
            id=step.id,
            name=step.name,
            application=applications[step.application_id],
            rto_seconds=step.rto_seconds,
            rpo_seconds=step.rpo_seconds,
            availability=(
                float(step.availability_target) if step.availability_target is not None else None
            ),
            last_reviewed_at=step.last_reviewed_at,
            created_at=step.created_at,
        )
        for step in Step.objects.filter(application__team_id=team_id)
    ]
    steps_by_application: dict[int, list] = {}
    for step in steps:
        steps_by_application.setdefault(step.application.id, []).append(step)
    components = [
        resilience.ComponentData(
            id=row["id"],
            name=row["name"],
            availability=float(row["availability"]),
            replicas=max(row["replicas"], 1),
            application_id=row["application_id"],
        )
        for row in Component.objects.filter(team_id=team_id)
        .annotate(replicas=Count("regions"))
        .values("id", "name", "availability", "replicas", "application_id")
    ]
    edges = [
        resilience.Edge(
            component_id=row["component_id"],
            hard=row["hard"],
            step_id=row["step_id"],
            dependant_id=row["dependant_component_id"],
        )
        for row in Dependency.objects.filter(component__team_id=team_id).values(
            "component_id", "hard", "step_id", "dependant_component_id"
        )
    ]
    graph = resilience.DependencyGraph(components, edges)
    # Tiers of every application a component may stand for (they are the team's own).
    application_tiers = {app.id: (app.name, app.tier.level) for app in applications.values()}
    used_tiers = {app.tier.id: app.tier for app in applications.values()}
    return [
        *resilience.dr_strategy_gaps(
            applications.values(), steps_by_application, strategies.values()
        ),
        *resilience.single_region_high_availability(applications.values(), steps_by_application),
        *resilience.data_residency_conflicts(applications.values()),
        *resilience.tier_objectives_inconsistent(used_tiers.values()),
        *resilience.composite_availability_gaps(steps, graph),
        *resilience.dependency_cycles(graph),
        *resilience.tier_inversions(steps, graph, application_tiers),
        *resilience.shared_fate(steps, graph),
        *resilience.reviews_overdue(steps, now),
    ]


def failure_mode_findings(team_id: int) -> list[FindingData]:
    """High risks without an action, and severe risks without a management review."""
    live = FailureMode.objects.filter(team_id=team_id).exclude(
        status__in=(FailureModeStatus.ACCEPTED, FailureModeStatus.CLOSED)
    )
    columns = (
        "id",
        "mode",
        "severity",
        "rpn",
        "action_priority",
        "step_id",
        "step__name",
        "step__application_id",
        "step__application__name",
        "step__application__tier_id",
        "step__application__tier__rpn_threshold",
    )
    acted = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.DONE)
    unmitigated = (
        live.filter(
            Q(rpn__gt=F("step__application__tier__rpn_threshold"))
            | Q(action_priority=ActionPriority.HIGH)
        )
        .annotate(acted=Count("actions", filter=Q(actions__status__in=acted)))
        .filter(acted=0)
        .values(*columns)
    )
    findings = [
        FindingData(
            key=f"unmitigated_high_risk:failure_mode:{row['id']}",
            kind=FindingKind.UNMITIGATED_HIGH_RISK,
            severity=(
                FindingSeverity.CRITICAL
                if row["action_priority"] == ActionPriority.HIGH and row["severity"] >= 9
                else FindingSeverity.HIGH
            ),
            message=(
                f"“{row['mode']}” in {row['step__application__name']} / {row['step__name']} has "
                f"RPN {row['rpn']} (threshold {row['step__application__tier__rpn_threshold']}) "
                f"and action priority {row['action_priority']}, but no action."
            ),
            details={
                "rpn": row["rpn"],
                "rpn_threshold": row["step__application__tier__rpn_threshold"],
                "action_priority": row["action_priority"],
            },
            application_id=row["step__application_id"],
            step_id=row["step_id"],
            failure_mode_id=row["id"],
            tier_id=row["step__application__tier_id"],
        )
        for row in unmitigated
    ]
    unreviewed = live.filter(
        severity__gte=9,
        action_priority__in=(ActionPriority.HIGH, ActionPriority.MEDIUM),
        review_signed_off_at__isnull=True,
    ).values(*columns)
    findings += [
        FindingData(
            key=f"management_review_missing:failure_mode:{row['id']}",
            kind=FindingKind.MANAGEMENT_REVIEW_MISSING,
            severity=FindingSeverity.HIGH,
            message=(
                f"“{row['mode']}” in {row['step__application__name']} / {row['step__name']} has "
                f"severity {row['severity']} and action priority {row['action_priority']}: "
                "it needs a management review sign-off."
            ),
            details={"severity": row["severity"], "action_priority": row["action_priority"]},
            application_id=row["step__application_id"],
            step_id=row["step_id"],
            failure_mode_id=row["id"],
            tier_id=row["step__application__tier_id"],
        )
        for row in unreviewed
    ]
    return findings


def overdue_action_findings(team_id: int, today) -> list[FindingData]:
    overdue = (
        Action.objects.filter(failure_mode__team_id=team_id)
        .overdue(today)
        .values(
            "id",
            "description",
            "owner",
            "due_date",
            "failure_mode_id",
            "failure_mode__mode",
            "failure_mode__action_priority",
            "failure_mode__step_id",
            "failure_mode__step__application_id",
            "failure_mode__step__application__tier_id",
        )
    )
    return [
        FindingData(
            key=f"overdue_action:action:{row['id']}",
            kind=FindingKind.OVERDUE_ACTION,
            severity=(
                FindingSeverity.HIGH
                if row["failure_mode__action_priority"] == ActionPriority.HIGH
                else FindingSeverity.MEDIUM
            ),
            message=(
                f"Action “{row['description']}” on “{row['failure_mode__mode']}” was due "
                f"{row['due_date']:%Y-%m-%d} ({(today - row['due_date']).days} days ago)"
                + (f"; owner {row['owner']}." if row["owner"] else "; it has no owner.")
            ),
            details={
                "action": row["id"],
                "due_date": row["due_date"].isoformat(),
                "days_overdue": (today - row["due_date"]).days,
            },
            application_id=row["failure_mode__step__application_id"],
            step_id=row["failure_mode__step_id"],
            failure_mode_id=row["failure_mode_id"],
            tier_id=row["failure_mode__step__application__tier_id"],
        )
        for row in overdue
    ]


def compute_findings(team_id: int, now=None) -> list[FindingData]:
    now = now or timezone.now()
    return [
        *structural_findings(team_id, now),
        *failure_mode_findings(team_id),
        *overdue_action_findings(team_id, timezone.localdate(now)),
    ]


@transaction.atomic
def refresh_findings(team_id: int, now=None) -> int:
    """Replace the team's findings with a fresh computation; returns how many there are.

    A finding that persists keeps its row and `first_seen_at`; a resolved one goes.
    """
    now = now or timezone.now()
    # One row per key, even if two rules ever name the same subject.
    findings = list({finding.key: finding for finding in compute_findings(team_id, now)}.values())
    Finding.objects.bulk_create(
        [
            Finding(
                team_id=team_id,
                key=finding.key,
                kind=finding.kind,
                severity=finding.severity,
                message=finding.message,
                details=finding.details,
                application_id=finding.application_id,
                step_id=finding.step_id,
                component_id=finding.component_id,
                failure_mode_id=finding.failure_mode_id,
                tier_id=finding.tier_id,
                first_seen_at=now,
                computed_at=now,
            )
            for finding in findings
        ],
        update_conflicts=True,
        unique_fields=["team", "key"],
        update_fields=UPDATED_FIELDS,
        batch_size=2000,
    )
    Finding.objects.filter(team_id=team_id).exclude(computed_at=now).delete()
    return len(findings)
