"""Rules on recovery set-up: DR strategies and regions against the tiers' objectives,
data residency, the tiers' own consistency, and worksheet reviews."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from registry.analysis.resilience.facts import (
    FIVE_NINES,
    SECONDS_PER_YEAR,
    ApplicationData,
    FindingData,
    StepData,
    StrategyData,
    TierData,
    format_duration,
    severity_for_tier,
)
from registry.choices import FindingKind, FindingSeverity


def strictest_objectives(
    application: ApplicationData, steps: Iterable[StepData]
) -> tuple[int, int, float]:
    """The application's RTO, RPO and availability after its steps' stricter overrides."""
    steps = list(steps)
    tier = application.tier
    return (
        min([tier.rto_seconds, *(step.rto for step in steps)]),
        min([tier.rpo_seconds, *(step.rpo for step in steps)]),
        max([tier.availability, *(step.target for step in steps)]),
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
    """Availability targets of 99.999 % or more need at least two regions."""
    findings = []
    for application in applications:
        _, _, target = strictest_objectives(
            application, steps_by_application.get(application.id, [])
        )
        if target < FIVE_NINES or len(application.regions) >= 2:
            continue
        if application.regions:
            message = (
                f"{application.name} targets {target:g} % availability but runs only in "
                f"{application.regions[0][0]}: one regional outage takes it down. "
                "Run it in at least two regions."
            )
        else:
            # No region recorded is a gap in the register, not a known single region.
            message = (
                f"{application.name} targets {target:g} % availability but has no region "
                "recorded, so the register cannot tell whether one regional outage takes it "
                "down. Record the regions it runs in: at least two are needed."
            )
        findings.append(
            FindingData(
                key=f"single_region_high_availability:application:{application.id}",
                kind=FindingKind.SINGLE_REGION_HIGH_AVAILABILITY,
                severity=severity_for_tier(application.tier.level),
                message=message,
                details={"availability_target": target, "region_count": len(application.regions)},
                application_id=application.id,
                tier_id=application.tier.id,
            )
        )
    return findings


def data_residency_conflicts(applications: Iterable[ApplicationData]) -> list[FindingData]:
    """An application whose data must stay in a jurisdiction runs in a region outside it."""
    findings = []
    for application in applications:
        if not application.data_residency:
            continue
        outside = [
            code
            for code, jurisdiction in application.regions
            if jurisdiction != application.data_residency
        ]
        if not outside:
            continue
        findings.append(
            FindingData(
                key=f"data_residency_conflict:application:{application.id}",
                kind=FindingKind.DATA_RESIDENCY_CONFLICT,
                severity=FindingSeverity.HIGH,
                message=(
                    f"{application.name} must keep its data in {application.data_residency} "
                    f"but runs in {', '.join(outside)}."
                ),
                details={"residency": application.data_residency, "regions_outside": outside},
                application_id=application.id,
                tier_id=application.tier.id,
            )
        )
    return findings


def tier_objectives_inconsistent(tiers: Iterable[TierData]) -> list[FindingData]:
    """A tier whose RTO alone spends more than its yearly downtime budget."""
    findings = []
    for tier in tiers:
        budget = (100 - tier.availability) / 100 * SECONDS_PER_YEAR
        if tier.disasters_excluded or tier.rto_seconds <= budget:
            continue
        times = tier.rto_seconds / budget if budget else float("inf")
        findings.append(
            FindingData(
                key=f"tier_objectives_inconsistent:tier:{tier.id}",
                kind=FindingKind.TIER_OBJECTIVES_INCONSISTENT,
                severity=FindingSeverity.MEDIUM,
                message=(
                    f"{tier.name}: {tier.availability:g} % availability allows "
                    f"{format_duration(budget)} of downtime a year, but one disaster recovered "
                    f"within the RTO of {format_duration(tier.rto_seconds)} spends it "
                    f"{times:.0f} times over. Lower the RTO, lower the target, or state that "
                    "declared disasters are excluded from the availability target."
                ),
                details={
                    "yearly_downtime_budget_seconds": round(budget, 1),
                    "rto_seconds": tier.rto_seconds,
                    "ratio": round(times, 1),
                },
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
