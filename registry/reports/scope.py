"""The failure modes a report covers, and how its scope reads on a cover page."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from registry.choices import ActionPriority, FailureModeStatus
from registry.models import Application, FailureMode, Step


@dataclass(frozen=True)
class Scope:
    """Filters of a report; empty means "all"."""

    team_id: int
    tiers: tuple[int, ...] = ()
    applications: tuple[int, ...] = ()
    statuses: tuple[str, ...] = ()
    min_rpn: int | None = None
    action_priorities: tuple[str, ...] = ()
    application_names: dict[int, str] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, row, application_names: dict[int, str] | None = None) -> Scope:
        """The scope of a ReportRun or ReportSchedule (`application_names`: known names,
        to save a query per row in a list)."""
        return cls(
            team_id=row.team_id,
            tiers=tuple(row.tiers),
            applications=tuple(row.applications),
            statuses=tuple(row.statuses),
            min_rpn=row.min_rpn,
            action_priorities=tuple(row.action_priorities),
            application_names=application_names or {},
        )

    def condition(self, prefix: str = "") -> Q:
        """The filter on failure modes (`prefix` reaches them from another model)."""
        q = Q(**{f"{prefix}team_id": self.team_id})
        if self.tiers:
            q &= Q(**{f"{prefix}step__application__tier__level__in": self.tiers})
        if self.applications:
            # The applications' steps as a subquery: as a join filter, PostgreSQL read
            # every failure mode of the team and then dropped those of other steps.
            steps = Step.objects.filter(application_id__in=self.applications).values("id")
            q &= Q(**{f"{prefix}step_id__in": steps})
        if self.statuses:
            q &= Q(**{f"{prefix}status__in": self.statuses})
        if self.min_rpn is not None:
            q &= Q(**{f"{prefix}rpn__gte": self.min_rpn})
        if self.action_priorities:
            q &= Q(**{f"{prefix}action_priority__in": self.action_priorities})
        return q

    def failure_modes(self) -> QuerySet:
        return FailureMode.objects.filter(self.condition())

    @property
    def is_whole_team(self) -> bool:
        return not (
            self.tiers
            or self.applications
            or self.statuses
            or self.min_rpn is not None
            or self.action_priorities
        )

    def describe(self) -> list[tuple[str, str]]:
        """(filter, value) lines for a cover page or an email."""
        names = (
            self.application_names
            if self.application_names or not self.applications
            else dict(
                Application.objects.filter(team_id=self.team_id, pk__in=self.applications)
                .values_list("pk", "name")
                .order_by("name")
            )
        )
        statuses = dict(FailureModeStatus.choices)
        priorities = dict(ActionPriority.choices)
        return [
            ("Tiers", ", ".join(f"Tier {level}" for level in sorted(self.tiers)) or "All"),
            (
                "Applications",
                ", ".join(names.get(pk, f"#{pk} (deleted)") for pk in self.applications) or "All",
            ),
            ("Statuses", ", ".join(statuses.get(s, s) for s in self.statuses) or "All"),
            ("Minimum RPN", str(self.min_rpn) if self.min_rpn is not None else "Any"),
            (
                "Action priority",
                ", ".join(priorities.get(p, p) for p in self.action_priorities) or "All",
            ),
        ]
