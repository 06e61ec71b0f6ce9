"""Findings on recovery: achievable (or measured) RTO and RPO beyond a step's objectives,
data with no copy that survives a disruption, and drills missing or failed.

`step_recovery` is the side-by-side table (objective, computed, measured) that the
application page, the API, the reports and these findings all read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from registry.analysis.resilience.dependencies import DependencyGraph
from registry.analysis.resilience.drills import DrillData, Drills
from registry.analysis.resilience.facts import (
    ApplicationData,
    FindingData,
    StepData,
    format_duration,
    severity_for_tier,
)
from registry.analysis.resilience.objectives import strictest_objectives
from registry.analysis.resilience.recovery import (
    Achievable,
    RecoveryCache,
    RecoveryDefaults,
    achievable_recovery,
)
from registry.choices import Disruption, FindingKind, FindingSeverity

#: Disruptions a tier's recovery test interval requires a passed drill of.
REQUIRED_DRILLS = (Disruption.REGION, Disruption.DATA_CORRUPTION)
#: How a sentence names a disruption.
PHRASES = {
    Disruption.COMPONENT: "a component failure",
    Disruption.REGION: "a region loss",
    Disruption.DATA_CORRUPTION: "data corruption",
}


@dataclass(slots=True)
class RecoveryRow:
    """One disruption of one step: objective, achievable computed, last measured."""

    disruption: str
    rto_objective: int
    rpo_objective: int
    achievable: Achievable
    last_test: DrillData | None  # the latest test of the disruption, whatever its outcome
    evidence: DrillData | None  # the latest passed test within the tier's interval

    @property
    def label(self) -> str:
        return Disruption(self.disruption).label

    @property
    def rto_measured(self) -> bool:
        return self.evidence is not None and self.evidence.measured_rto is not None

    @property
    def rpo_measured(self) -> bool:
        return self.evidence is not None and self.evidence.measured_rpo is not None

    @property
    def rto(self) -> int:
        """The RTO the findings hold against the objective: measured where a passed
        drill within the interval gives one, computed otherwise."""
        return self.evidence.measured_rto if self.rto_measured else self.achievable.rto

    @property
    def rpo(self) -> int | None:
        return self.evidence.measured_rpo if self.rpo_measured else self.achievable.rpo

    @property
    def computed_rto_meets(self) -> bool:
        return self.achievable.rto <= self.rto_objective

    @property
    def computed_rpo_meets(self) -> bool:
        return self.achievable.rpo is not None and self.achievable.rpo <= self.rpo_objective

    def _tested_meets(self, figure: str, objective: int) -> bool | None:
        """Whether the latest test's `figure` met `objective`; None when it measured none."""
        measured = getattr(self.last_test, figure, None)
        return None if measured is None else measured <= objective

    @property
    def tested_rto_meets(self) -> bool | None:
        return self._tested_meets("measured_rto", self.rto_objective)

    @property
    def tested_rpo_meets(self) -> bool | None:
        return self._tested_meets("measured_rpo", self.rpo_objective)

    @property
    def rto_meets(self) -> bool:
        return self.rto <= self.rto_objective

    @property
    def rpo_meets(self) -> bool:
        rpo = self.rpo
        return rpo is not None and rpo <= self.rpo_objective

    def as_dict(self) -> dict:
        def drill(test: DrillData | None) -> dict | None:
            if test is None:
                return None
            return {
                "id": test.id,
                "performed_on": test.performed_on.isoformat(),
                "outcome": test.outcome,
                "measured_rto_seconds": test.measured_rto,
                "measured_rpo_seconds": test.measured_rpo,
            }

        return {
            "disruption": self.disruption,
            "rto_objective_seconds": self.rto_objective,
            "rpo_objective_seconds": self.rpo_objective,
            "achievable": self.achievable.as_dict(),
            "last_test": drill(self.last_test),
            "evidence": drill(self.evidence),
            "rto_seconds": self.rto,
            "rto_source": "measured" if self.rto_measured else "computed",
            "rto_meets_objective": self.rto_meets,
            "rpo_seconds": self.rpo,
            "rpo_source": "measured" if self.rpo_measured else "computed",
            "rpo_meets_objective": self.rpo_meets,
        }


def assumed_inputs(rows: Iterable[RecoveryRow]) -> list[str]:
    """The assumed inputs of a step's table, each once, in the order first met."""
    return list(dict.fromkeys(note for row in rows for note in row.achievable.assumed))


def step_recovery(
    step: StepData,
    graph: DependencyGraph,
    drills: Drills,
    defaults: RecoveryDefaults,
    today: date,
    cache: RecoveryCache | None = None,
) -> list[RecoveryRow]:
    """The step's recovery table, one row per disruption."""
    rows = []
    for disruption, achievable in achievable_recovery(step, graph, defaults, cache).items():
        tests = drills.of(step.application.id, disruption, step.id)
        rows.append(
            RecoveryRow(
                disruption=disruption,
                rto_objective=step.rto,
                rpo_objective=step.rpo,
                achievable=achievable,
                last_test=tests[0] if tests else None,
                evidence=drills.evidence(step.application, disruption, today, step.id),
            )
        )
    return rows


def closing_time(row: RecoveryRow) -> str:
    """The figure that would bring the achievable RTO within the objective."""
    bound = row.achievable.rto_bound
    excess = row.achievable.rto - row.rto_objective
    if excess <= 0:  # the measured figure is over, the computed one is not
        return "The dependency tree allows it: find what the drill was waiting for."
    needed = (bound.value or 0) - excess
    if needed >= 0:
        return f"Bringing {bound.describe()} down to {format_duration(needed)} would meet the RTO."
    return (
        f"Even with {bound.describe()} at 0 the rest takes "
        f"{format_duration(row.achievable.rto - (bound.value or 0))}: more than one figure "
        "must come down."
    )


def closing_point(row: RecoveryRow) -> str:
    """The figure that would bring the achievable RPO within the objective."""
    bound = row.achievable.rpo_bound
    objective = format_duration(row.rpo_objective)
    if bound is None or row.achievable.rpo is None or row.achievable.rpo <= row.rpo_objective:
        return "The dependency tree allows it: find where the drill lost the data."
    if bound.prop == "replication_lag_seconds":
        return (
            f"Keep {bound.name}'s replication lag within {objective}, or replicate synchronously."
        )
    if bound.prop == "backup_interval_seconds" and row.disruption != Disruption.REGION:
        return (
            f"Back up {bound.name} at least every {objective}, or turn on point-in-time recovery."
        )
    if bound.prop == "backup_interval_seconds":
        return (
            f"Copy {bound.name}'s backups to another region at least every {objective}, or "
            "replicate it there."
        )
    return f"Only synchronous replication of {bound.name} meets an RPO of {objective}."


def _said(row: RecoveryRow, measured: bool, computed: str, found: str) -> str:
    """How the figure is known: measured in a drill, or computed from the tree."""
    if measured and row.evidence is not None:
        return f"{found} in the drill of {row.evidence.performed_on:%Y-%m-%d}"
    return computed


def recovery_gaps(
    steps: Iterable[StepData],
    graph: DependencyGraph,
    drills: Drills,
    defaults: RecoveryDefaults,
    today: date,
) -> list[FindingData]:
    """Per step with a dependency tree: recovery time and point gaps per disruption,
    and each data store with no copy that survives a disruption."""
    findings = []
    steps = list(steps)
    cache = RecoveryCache(defaults, graph)
    cache.explore(steps)
    lost: dict[tuple[int, int], Unrecoverable] = {}
    for step in steps:
        if not graph.step_edges.get(step.id):
            continue
        ids = {
            "application_id": step.application.id,
            "step_id": step.id,
            "tier_id": step.application.tier.id,
        }
        severity = severity_for_tier(step.application.tier.level)
        for row in step_recovery(step, graph, drills, defaults, today, cache):
            achievable = row.achievable
            for component in achievable.unrecoverable:
                found = lost.get((step.application.id, component.id))
                if found is None:
                    found = lost[step.application.id, component.id] = Unrecoverable(
                        step.application, component.id, component.name
                    )
                found.steps.setdefault(step.id, step.name)
                found.disruptions.setdefault(row.disruption, None)
            time_gap = not row.rto_meets
            point_gap = row.rpo is not None and not row.rpo_meets
            if not (time_gap or point_gap):
                continue
            assumed = list(achievable.assumed)
            if time_gap:
                findings.append(
                    FindingData(
                        key=f"recovery_time_gap:step:{step.id}:{row.disruption}",
                        kind=FindingKind.RECOVERY_TIME_GAP,
                        severity=severity,
                        message=(
                            f"{step.label} "
                            + _said(
                                row,
                                row.rto_measured,
                                f"can at best recover in {format_duration(row.rto)}",
                                f"recovered in {format_duration(row.rto)}",
                            )
                            + f" after {PHRASES[row.disruption]}, beyond its RTO of "
                            f"{format_duration(row.rto_objective)}. "
                            + closing_time(row)
                            + (f" Assumes {'; '.join(assumed)}." if assumed else "")
                        ),
                        details={
                            "disruption": row.disruption,
                            "rto_seconds": achievable.rto,
                            "rto_bottleneck": achievable.rto_bound.as_dict(),
                            "assumed": assumed,
                            "rto_objective_seconds": row.rto_objective,
                            "rto_used_seconds": row.rto,
                            "rto_source": "measured" if row.rto_measured else "computed",
                        },
                        assumed=bool(assumed) and not row.rto_measured,
                        **ids,
                    )
                )
            if point_gap:
                findings.append(
                    FindingData(
                        key=f"recovery_point_gap:step:{step.id}:{row.disruption}",
                        kind=FindingKind.RECOVERY_POINT_GAP,
                        severity=severity,
                        message=(
                            f"{step.label} "
                            + _said(
                                row,
                                row.rpo_measured,
                                f"would lose up to {format_duration(row.rpo)} of data",
                                f"lost {format_duration(row.rpo)} of data",
                            )
                            + f" after {PHRASES[row.disruption]}, beyond its RPO of "
                            f"{format_duration(row.rpo_objective)}. " + closing_point(row)
                        ),
                        details={
                            "disruption": row.disruption,
                            "rpo_seconds": achievable.rpo,
                            "rpo_bottleneck": (
                                achievable.rpo_bound.as_dict() if achievable.rpo_bound else None
                            ),
                            "assumed": assumed,
                            "rpo_objective_seconds": row.rpo_objective,
                            "rpo_used_seconds": row.rpo,
                            "rpo_source": "measured" if row.rpo_measured else "computed",
                        },
                        assumed=bool(assumed) and not row.rpo_measured,
                        **ids,
                    )
                )
    return findings + [unrecoverable(found) for found in lost.values()]


@dataclass
class Unrecoverable:
    """A data store some of an application's steps hard-depend on, and the disruptions
    none of its copies survives."""

    application: ApplicationData
    component_id: int
    name: str
    steps: dict[int, str] = field(default_factory=dict)  # id → name, in order met
    disruptions: dict[str, None] = field(default_factory=dict)  # ordered set


ADVICE = {
    Disruption.COMPONENT: "replicate it or back it up",
    Disruption.REGION: "replicate it to another region or copy its backups there",
    Disruption.DATA_CORRUPTION: (
        "back it up or turn on point-in-time recovery (a replica copies a bad write too)"
    ),
}


def unrecoverable(found: Unrecoverable) -> FindingData:
    """One finding per application and data store, naming the steps that need it."""
    disruptions = list(found.disruptions)
    named = [PHRASES[d] for d in disruptions]
    said = " or ".join([", ".join(named[:-1]), named[-1]] if len(named) > 1 else named)
    advice = "; ".join(f"for {PHRASES[d]}, {ADVICE[d]}" for d in disruptions)
    application = found.application
    steps = ", ".join(found.steps.values())
    return FindingData(
        key=f"unrecoverable_data:application:{application.id}:component:{found.component_id}",
        kind=FindingKind.UNRECOVERABLE_DATA,
        severity=FindingSeverity.CRITICAL,
        message=(
            f"{application.name} ({'step' if len(found.steps) == 1 else 'steps'} {steps}) "
            f"hard-depends on {found.name}, which keeps no copy that survives {said}: its "
            f"data would be lost for good. To recover it: {advice}."
        ),
        details={
            "component": found.component_id,
            "name": found.name,
            "disruptions": disruptions,
            "steps": list(found.steps),
        },
        application_id=application.id,
        step_id=next(iter(found.steps)) if len(found.steps) == 1 else None,
        component_id=found.component_id,
        tier_id=application.tier.id,
    )


def recovery_untested(
    applications: Iterable[ApplicationData], drills: Drills, today: date
) -> list[FindingData]:
    """Applications of a tier with a recovery test interval and no passed test of a
    region loss, or of data corruption, within it."""
    findings = []
    for application in applications:
        interval = application.tier.recovery_test_interval_days
        if not interval:
            continue
        missing = [d for d in REQUIRED_DRILLS if drills.evidence(application, d, today) is None]
        if not missing:
            continue
        since = today - timedelta(days=interval)
        said = " and ".join(PHRASES[d] for d in missing)
        findings.append(
            FindingData(
                key=f"recovery_untested:application:{application.id}",
                kind=FindingKind.RECOVERY_UNTESTED,
                severity=severity_for_tier(application.tier.level),
                message=(
                    f"{application.name} ({application.tier.name}) must pass a recovery test "
                    f"of a region loss and of data corruption every {interval} days; no test of "
                    f"{said} has passed since {since:%Y-%m-%d}. Until one does, its recovery "
                    "figures are computed, not proven."
                ),
                details={
                    "recovery_test_interval_days": interval,
                    "missing": missing,
                    "since": since.isoformat(),
                },
                application_id=application.id,
                tier_id=application.tier.id,
            )
        )
    return findings


def recovery_tests_failed(
    applications: Iterable[ApplicationData],
    steps_by_application: dict[int, list[StepData]],
    drills: Drills,
) -> list[FindingData]:
    """The latest test of a disruption failed (or partly), or measured worse than the
    objective: of its step when it names one, the application's strictest otherwise."""
    findings = []
    for application in applications:
        steps = steps_by_application.get(application.id, [])
        by_id = {step.id: step for step in steps}
        for disruption in Disruption:
            tests = drills.of(application.id, disruption)
            if not tests:
                continue
            latest = tests[0]
            step = by_id.get(latest.step_id) if latest.step_id is not None else None
            rto, rpo = (
                (step.rto, step.rpo) if step else strictest_objectives(application, steps)[:2]
            )
            problems = []
            if latest.measured_rto is not None and latest.measured_rto > rto:
                problems.append(
                    f"measured RTO {format_duration(latest.measured_rto)} against an "
                    f"objective of {format_duration(rto)}"
                )
            if latest.measured_rpo is not None and latest.measured_rpo > rpo:
                problems.append(
                    f"measured RPO {format_duration(latest.measured_rpo)} against an "
                    f"objective of {format_duration(rpo)}"
                )
            if latest.passed and not problems:
                continue
            subject = step.label if step else application.name
            findings.append(
                FindingData(
                    key=f"recovery_test_failed:application:{application.id}:{disruption}",
                    kind=FindingKind.RECOVERY_TEST_FAILED,
                    severity=severity_for_tier(application.tier.level),
                    message=(
                        f"The latest test of {subject} against {PHRASES[disruption]}, "
                        f"on {latest.performed_on:%Y-%m-%d}, {latest.outcome}"
                        + (": " + "; ".join(problems) if problems else "")
                        + ". Fix what it found and test again."
                    ),
                    details={
                        "recovery_test": latest.id,
                        "disruption": disruption,
                        "outcome": latest.outcome,
                        "performed_on": latest.performed_on.isoformat(),
                        "measured_rto_seconds": latest.measured_rto,
                        "rto_objective_seconds": rto,
                        "measured_rpo_seconds": latest.measured_rpo,
                        "rpo_objective_seconds": rpo,
                    },
                    application_id=application.id,
                    step_id=step.id if step else None,
                    tier_id=application.tier.id,
                )
            )
    return findings
