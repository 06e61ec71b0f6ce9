"""What every report writer receives: the run, its scope, the time and the changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from registry.models import ReportRun, Team
from registry.reports.scope import Scope

Progress = Callable[[int], None]

# One order for every format: tier, application, step, then the riskiest first.
WORKSHEET_ORDER = ("step__application__tier__level", "step__application__name", "step__order")
ROW_ORDER = (*WORKSHEET_ORDER, "step_id", "-rpn", "id")


@dataclass
class ReportContext:
    run: ReportRun
    team: Team
    scope: Scope
    generated_at: datetime
    total: int
    changes: dict | None = None
    snapshot: dict | None = None

    @property
    def requested_by(self) -> str:
        if self.run.schedule_id is not None:
            return f"Schedule “{self.run.schedule.name}”"
        user = self.run.requested_by
        return user.get_username() if user is not None else "—"

    @property
    def stamp(self) -> str:
        return self.generated_at.strftime("%Y-%m-%d %H:%M UTC")

    def failure_modes(self):
        return self.scope.failure_modes().order_by(*ROW_ORDER)
