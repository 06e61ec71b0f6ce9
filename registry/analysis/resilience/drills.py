"""Drills: the recovery tests a team ran, as the recovery rules read them (the latest of
each disruption, and the passed one within the tier's interval that counts as evidence)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from registry.analysis.resilience.facts import ApplicationData
from registry.choices import RecoveryTestOutcome


@dataclass(frozen=True)
class DrillData:
    """A recovery test as the rules read it."""

    id: int
    application_id: int
    step_id: int | None
    disruption: str
    performed_on: date
    outcome: str
    measured_rto: int | None = None
    measured_rpo: int | None = None

    @property
    def passed(self) -> bool:
        return self.outcome == RecoveryTestOutcome.PASSED


class Drills:
    """A team's recovery tests, newest first, by application and disruption."""

    def __init__(self, drills: Iterable[DrillData]) -> None:
        self.by_disruption: dict[tuple[int, str], list[DrillData]] = {}
        self.of_steps: set[tuple[int, str]] = set()  # some test names a step
        # Answers already given: every step of an application asks the same questions.
        self._evidence: dict[tuple, DrillData | None] = {}
        for drill in sorted(drills, key=lambda d: (d.performed_on, d.id), reverse=True):
            key = (drill.application_id, drill.disruption)
            self.by_disruption.setdefault(key, []).append(drill)
            if drill.step_id is not None:
                self.of_steps.add(key)

    def of(
        self, application_id: int, disruption: str, step_id: int | None = None
    ) -> list[DrillData]:
        """Tests of the disruption for the application, newest first; with `step_id`,
        those of that step or of the whole application."""
        tests = self.by_disruption.get((application_id, disruption), [])
        if step_id is None or (application_id, disruption) not in self.of_steps:
            return tests
        return [d for d in tests if d.step_id is None or d.step_id == step_id]

    def evidence(
        self,
        application: ApplicationData,
        disruption: str,
        today: date,
        step_id: int | None = None,
    ) -> DrillData | None:
        """The latest passed test within the tier's interval (ever, when the tier sets
        none): the measured figures the gap findings then use."""
        if (application.id, disruption) not in self.of_steps:
            step_id = None  # the same answer for every step of the application
        key = (application.id, disruption, step_id, today)
        if key in self._evidence:
            return self._evidence[key]
        tests = self.of(application.id, disruption, step_id)
        found = None
        if tests:
            interval = application.tier.recovery_test_interval_days
            since = today - timedelta(days=interval) if interval else date.min
            found = next((d for d in tests if d.passed and d.performed_on >= since), None)
        self._evidence[key] = found
        return found
