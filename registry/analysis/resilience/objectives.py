"""Rules on recovery set-up: DR strategies and regions against the tiers' objectives,
data residency, the tiers' own consistency, and worksheet reviews."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from registry.analysis.resilience.dependencies import DependencyGraph
from registry.analysis.resilience.facts import (
    FIVE_NINES,
    SECONDS_PER_YEAR,
    ApplicationData,
    FindingData,
    Region,
    StepData,
    StrategyData,
    TierData,
    format_duration,
    severity_for_tier,
)
from registry.choices import FindingKind, FindingSeverity
from registry.jurisdictions import within


def strictest_objectives(
    application: ApplicationData, steps: Iterable[StepData]
) -> tuple[int, int, float]:
    """The application's RTO, RPO and availability: the strictest of its steps' effective
    objectives, or its tier's while it has no steps."""
    steps = list(steps)
    tier = application.tier
    if not steps:
        return tier.rto_seconds, tier.rpo_seconds, tier.availability
    return (
        min(step.rto for step in steps),
        min(step.rpo for step in steps),
        max(step.target for step in steps),
    )


def dr_strategy_gaps(
    applications: Iterable[ApplicationData],
    steps_by_application: dict[int, list[StepData]],
    strategies: Iterable[StrategyData],
) -> list[FindingData]:
    """Applications whose DR strategy cannot meet their RTO or RPO; name the cheapest
    strategy that would meet both."""
    by_cost = sorted(strategies, key=lambda strategy: strategy.cost_rank)
    findings = []
    for application in applications:
        rto, rpo, _ = strictest_objectives(
            application, steps_by_application.get(application.id, [])
        )
        strategy = application.strategy
        if strategy.meets(rto, rpo):
            continue
        cheapest = next((s for s in by_cost if s.meets(rto, rpo)), None)
        if cheapest:
            advice = (
                f"{cheapest.name} (RTO {format_duration(cheapest.best_rto_seconds)}, RPO "
                f"{format_duration(cheapest.best_rpo_seconds)}) is the cheapest strategy "
                "that meets both."
            )
        else:
            advice = "No DR strategy meets both; the objectives need revisiting."
        findings.append(
            FindingData(
                key=f"dr_strategy_gap:application:{application.id}",
                kind=FindingKind.DR_STRATEGY_GAP,
                severity=severity_for_tier(application.tier.level),
                message=(
                    f"{application.name} uses {strategy.name}, which at best recovers in "
                    f"{format_duration(strategy.best_rto_seconds)} and loses "
                    f"{format_duration(strategy.best_rpo_seconds)} of data, but must recover "
                    f"within {format_duration(rto)} (RTO) losing at most "
                    f"{format_duration(rpo)} (RPO). {advice}"
                ),
                details={
                    "required_rto_seconds": rto,
                    "required_rpo_seconds": rpo,
                    "strategy": strategy.code,
                    "best_rto_seconds": strategy.best_rto_seconds,
                    "best_rpo_seconds": strategy.best_rpo_seconds,
                    "recommended_strategy": cheapest.code if cheapest else None,
                },
                application_id=application.id,
                tier_id=application.tier.id,
            )
        )
    return findings


def single_region_high_availability(
    applications: Iterable[ApplicationData], steps_by_application: dict[int, list[StepData]]
) -> list[FindingData]:
    """Availability targets of 99.999 % or more need at least two regions serving at
    once (active/active): a standby region restores service after a failover, it does
    not keep the service up through a regional outage."""
    findings = []
    for application in applications:
        _, _, target = strictest_objectives(
            application, steps_by_application.get(application.id, [])
        )
        active = application.active_regions
        if target < FIVE_NINES or active >= 2:
            continue
        codes = [code for code, _ in application.regions]
        if not codes:
            # No region recorded is a gap in the register, not a known single region.
            message = (
                f"{application.name} targets {target:g} % availability but has no region "
                "recorded, so the register cannot tell whether one regional outage takes it "
                "down. Record the regions it runs in: serving from at least two at once "
                "(active/active) is necessary, not sufficient."
            )
        else:
            if len(codes) == 1:
                where = f"runs only in {codes[0]}"
            else:
                where = (
                    f"runs in {', '.join(codes)} under {application.strategy.name}, where only "
                    "one region serves at a time"
                )
            message = (
                f"{application.name} targets {target:g} % availability but {where}: one "
                "regional outage takes it down for longer than the target allows in a "
                "year. Serve from at least two regions at once (active/active); that is "
                "necessary, not sufficient."
            )
        findings.append(
            FindingData(
                key=f"single_region_high_availability:application:{application.id}",
                kind=FindingKind.SINGLE_REGION_HIGH_AVAILABILITY,
                severity=severity_for_tier(application.tier.level),
                message=message,
                details={
                    "availability_target": target,
                    "region_count": len(codes),
                    "active_region_count": active,
                    "strategy": application.strategy.code,
                },
                application_id=application.id,
                tier_id=application.tier.id,
            )
        )
    return findings


def dr_strategy_single_region(applications: Iterable[ApplicationData]) -> list[FindingData]:
    """An application whose DR strategy is multi-region runs in fewer than two regions."""
    findings = []
    for application in applications:
        strategy = application.strategy
        if not strategy.multi_region or len(application.regions) >= 2:
            continue
        where = (
            f"runs only in {application.regions[0][0]}"
            if application.regions
            else "has no region recorded"
        )
        findings.append(
            FindingData(
                key=f"dr_strategy_single_region:application:{application.id}",
                kind=FindingKind.DR_STRATEGY_SINGLE_REGION,
                severity=FindingSeverity.HIGH,
                message=(
                    f"{application.name} records {strategy.name}, a multi-region strategy, "
                    f"but {where}: a regional disaster leaves nowhere to recover to. Add "
                    "the recovery region to the application, or record the strategy it "
                    "really has."
                ),
                details={"strategy": strategy.code, "region_count": len(application.regions)},
                application_id=application.id,
                tier_id=application.tier.id,
            )
        )
    return findings


def outside(regions: Iterable[Region], jurisdiction: str) -> list[Region]:
    """The regions whose country is not inside `jurisdiction` (or is not recorded)."""
    return [
        (code, country)
        for code, country in regions
        if not country or not within(country, jurisdiction)
    ]


def describe_regions(regions: Iterable[Region]) -> str:
    return ", ".join(f"{code} ({country or 'country not recorded'})" for code, country in regions)


def data_residency_conflicts(
    applications: Iterable[ApplicationData],
    steps_by_application: dict[int, list[StepData]] | None = None,
    graph: DependencyGraph | None = None,
) -> list[FindingData]:
    """Data that must stay in a jurisdiction lives or is processed outside it: in one of
    the application's regions, or in a region of a component anywhere in one of its
    steps' dependency trees (hard and soft). One finding for the application's own
    regions, and one per step and offending component."""
    findings = []
    for application in applications:
        residency = application.data_residency
        if not residency:
            continue
        own = outside(application.regions, residency)
        if own:
            findings.append(
                FindingData(
                    key=f"data_residency_conflict:application:{application.id}",
                    kind=FindingKind.DATA_RESIDENCY_CONFLICT,
                    severity=FindingSeverity.HIGH,
                    message=(
                        f"{application.name} must keep its data in {residency} but runs in "
                        f"{describe_regions(own)}."
                    ),
                    details={
                        "residency": residency,
                        "regions_outside": [code for code, _ in own],
                    },
                    application_id=application.id,
                    tier_id=application.tier.id,
                )
            )
        if graph is None or steps_by_application is None:
            continue
        for step in steps_by_application.get(application.id, []):
            for component_id in sorted(graph.reachable(step.id)):
                component = graph.components[component_id]
                away = outside(component.regions, residency)
                if not away:
                    continue
                findings.append(
                    FindingData(
                        key=(f"data_residency_conflict:step:{step.id}:component:{component_id}"),
                        kind=FindingKind.DATA_RESIDENCY_CONFLICT,
                        severity=FindingSeverity.HIGH,
                        message=(
                            f"{step.label} must keep its data in {residency}, but it depends "
                            f"on {component.name}, which runs in {describe_regions(away)}, "
                            f"outside {residency}."
                        ),
                        details={
                            "residency": residency,
                            "component": component.id,
                            "regions_outside": [code for code, _ in away],
                        },
                        application_id=application.id,
                        step_id=step.id,
                        component_id=component.id,
                        tier_id=application.tier.id,
                    )
                )
    return findings


def downtime_budget(availability: float) -> float:
    """Seconds of downtime a year that an availability target (percent) allows."""
    return (100 - availability) / 100 * SECONDS_PER_YEAR


def tier_objectives_inconsistent(
    tiers: Iterable[TierData], steps: Iterable[StepData] = ()
) -> list[FindingData]:
    """A tier, or a step with its own availability target, whose RTO alone spends more
    than the yearly downtime budget of its availability target."""
    findings = []
    for tier in tiers:
        if not tier.disasters_excluded:
            findings += over_budget(
                f"tier_objectives_inconsistent:tier:{tier.id}",
                f"{tier.name}: {tier.availability:g} %",
                tier.availability,
                tier.rto_seconds,
                tier_id=tier.id,
            )
    for step in steps:
        tier = step.application.tier
        if not step.own_availability or tier.disasters_excluded:
            continue
        if (step.target, step.rto) == (tier.availability, tier.rto_seconds):
            continue  # the tier's own finding says it
        findings += over_budget(
            f"tier_objectives_inconsistent:step:{step.id}",
            f"{step.label}: its own {step.target:g} %",
            step.target,
            step.rto,
            application_id=step.application.id,
            step_id=step.id,
            tier_id=tier.id,
        )
    return findings


def over_budget(
    key: str, subject: str, availability: float, rto: int, **ids: int
) -> list[FindingData]:
    """The finding when one disaster recovered within `rto` spends more than the yearly
    downtime budget of `availability`; none otherwise."""
    budget = downtime_budget(availability)
    if rto <= budget:
        return []
    times = rto / budget if budget else float("inf")
    return [
        FindingData(
            key=key,
            kind=FindingKind.TIER_OBJECTIVES_INCONSISTENT,
            severity=FindingSeverity.MEDIUM,
            message=(
                f"{subject} availability allows {format_duration(budget)} of downtime a "
                f"year, but one disaster recovered within the RTO of {format_duration(rto)} "
                f"spends it {times:.0f} times over. Lower the RTO, lower the target, or "
                "state that declared disasters are excluded from the availability target."
            ),
            details={
                "yearly_downtime_budget_seconds": round(budget, 1),
                "rto_seconds": rto,
                "ratio": round(times, 1),
            },
            **ids,
        )
    ]


def step_objectives_relaxed(steps: Iterable[StepData]) -> list[FindingData]:
    """Steps whose effective objectives are looser than their tier's with no reason
    recorded, including those a later change to the tier left looser."""
    findings = []
    for step in steps:
        looser = step.looser_than_tier()
        if not looser or step.objective_reason.strip():
            continue
        tier = step.application.tier
        findings.append(
            FindingData(
                key=f"step_objective_relaxed:step:{step.id}",
                kind=FindingKind.STEP_OBJECTIVE_RELAXED,
                severity=FindingSeverity.LOW,
                message=(
                    f"{step.label} is looser than {tier.name} with no reason recorded: "
                    f"{', '.join(looser)}. Write down why the step needs less, or tighten it."
                ),
                details={"looser": looser},
                application_id=step.application.id,
                step_id=step.id,
                tier_id=tier.id,
            )
        )
    return findings


def reviews_overdue(steps: Iterable[StepData], now: datetime) -> list[FindingData]:
    """Steps whose worksheet was not reviewed within their tier's review interval."""
    findings = []
    for step in steps:
        since = step.last_reviewed_at or step.created_at
        interval = step.application.tier.review_interval_days
        if since is None or since + timedelta(days=interval) >= now:
            continue
        when = (
            f"last reviewed {step.last_reviewed_at:%Y-%m-%d}"
            if step.last_reviewed_at
            else f"never reviewed since {since:%Y-%m-%d}"
        )
        findings.append(
            FindingData(
                key=f"review_overdue:step:{step.id}",
                kind=FindingKind.REVIEW_OVERDUE,
                severity=(
                    FindingSeverity.MEDIUM
                    if step.application.tier.level == 1
                    else FindingSeverity.LOW
                ),
                message=(
                    f"The worksheet of {step.label} is due for review every {interval} days; "
                    f"it was {when}."
                ),
                details={"review_interval_days": interval, "since": since.isoformat()},
                application_id=step.application.id,
                step_id=step.id,
                tier_id=step.application.tier.id,
            )
        )
    return findings
