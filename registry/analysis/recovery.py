"""A step's recovery table (objective, achievable computed, last measured per
disruption) read from the database: what the application page, the API and the
reports show. The rules are `registry.analysis.resilience.recovery_gaps.step_recovery`,
the same the findings run."""

from __future__ import annotations

import datetime

from django.utils import timezone

from registry.analysis import resilience
from registry.analysis.findings import load_team_facts, recovery_defaults


def recovery_tables(
    team_id: int, application_id: int | None = None, today: datetime.date | None = None
) -> dict[int, list[resilience.RecoveryRow]]:
    """Each step's rows by step id: the team's, or one application's. Loads the team's
    set-up once (a fixed number of queries, whatever its size)."""
    facts = load_team_facts(team_id)
    today = today or timezone.localdate()
    defaults = recovery_defaults()
    steps = (
        facts.steps_by_application.get(application_id, [])
        if application_id is not None
        else facts.steps
    )
    # One computation: the steps share their dependencies' figures.
    cache = resilience.RecoveryCache(defaults, facts.graph)
    return {
        step.id: resilience.step_recovery(step, facts.graph, facts.drills, defaults, today, cache)
        for step in steps
    }
