"""The recovery table of a report: per step in scope and disruption, the objective,
the achievable figure computed from the dependency tree (with what bounds it) and the
last measured one, each with whether it meets the objective. The PDF and the XLSX
writers lay out the same cells."""

from __future__ import annotations

from dataclasses import dataclass

from registry.analysis.recovery import recovery_tables
from registry.analysis.resilience import RecoveryRow, format_duration
from registry.models import Step
from registry.reports.scope import Scope

HEADINGS = (
    "Application / step",
    "Disruption",
    "RTO objective",
    "RTO computed",
    "RTO last measured",
    "RPO objective",
    "RPO computed",
    "RPO last measured",
)


@dataclass(frozen=True)
class Cell:
    text: str
    meets: bool | None = None  # None: nothing to hold against the objective


def recovery_lines(scope: Scope) -> list[tuple[str, RecoveryRow]]:
    """(“Application / step”, row) for each step in scope, by application and order."""
    steps = Step.objects.filter(application__team_id=scope.team_id)
    if scope.tiers:
        steps = steps.filter(application__tier__level__in=scope.tiers)
    if scope.applications:
        steps = steps.filter(application_id__in=scope.applications)
    labels = {
        pk: f"{application} / {name}"
        for pk, application, name in steps.order_by("application__name", "order").values_list(
            "pk", "application__name", "name"
        )
    }
    tables = recovery_tables(scope.team_id)
    return [(label, row) for pk, label in labels.items() for row in tables.get(pk, [])]


def _measured(row: RecoveryRow, figure: str, meets: bool | None) -> Cell:
    """The last test's `figure` ("measured_rto" or "measured_rpo")."""
    test = row.last_test
    if test is None:
        return Cell("never tested")
    value = getattr(test, figure)
    shown = format_duration(value) if value is not None else "not measured"
    used = ", used" if row.evidence is test else ""
    return Cell(f"{shown} ({test.performed_on:%Y-%m-%d}, {test.outcome}{used})", meets)


def recovery_cells(label: str, row: RecoveryRow) -> list[Cell]:
    achievable = row.achievable
    rto_bound = achievable.rto_bound.describe()
    rpo = "unrecoverable" if achievable.rpo is None else format_duration(achievable.rpo)
    rpo_bound = achievable.rpo_bound.describe() if achievable.rpo_bound else "no data store"
    assumed = " *" if achievable.assumed else ""
    # Only where a component's regions were taken from its application does the RPO
    # rest on an assumption; the other defaults are times.
    rpo_assumed = " *" if any(n.startswith("regions of") for n in achievable.assumed) else ""
    return [
        Cell(label),
        Cell(row.label),
        Cell(format_duration(row.rto_objective)),
        Cell(f"{format_duration(achievable.rto)}{assumed} — {rto_bound}", row.computed_rto_meets),
        _measured(row, "measured_rto", row.tested_rto_meets),
        Cell(format_duration(row.rpo_objective)),
        Cell(f"{rpo}{rpo_assumed} — {rpo_bound}", row.computed_rpo_meets),
        _measured(row, "measured_rpo", row.tested_rpo_meets),
    ]


FOOTNOTE = (
    "Computed from each step's hard dependency tree; * rests on assumed inputs (no figure "
    "entered: the configured default). “used”: a test passed within the tier's interval, "
    "whose figure the findings hold against the objective."
)
