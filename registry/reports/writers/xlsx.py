"""XLSX report (XlsxWriter, constant memory: see `spreadsheet`): a Worksheet sheet in the
FMEA column layout (frozen header, filters, widths, AP cells coloured), a Summary sheet
with the tier rollups and counts by action priority, a Findings sheet, a Recovery sheet, and for a
scheduled report a Changes sheet first.

Every text cell is written as a string, never as a formula (`spreadsheet.OPTIONS`).

With XlsxWriter the report task of 10,000 failure modes takes about half the time it
took with openpyxl's write-only mode (0.45-0.58 of it, in turns on 2 busy shared cores):
openpyxl made and compared a style object for every coloured cell. Most of what is left
is XlsxWriter's own work per cell (bench/reports.py has the breakdown).
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import BinaryIO

from registry import columns as worksheet
from registry.choices import (
    ActionPriority,
    ComponentKind,
    FailureCategory,
    FailureModeStatus,
    FindingKind,
)
from registry.reports import changes as changes_module
from registry.reports import data, palette
from registry.reports import recovery as recovery_table
from registry.reports.context import Progress, ReportContext
from registry.reports.writers import spreadsheet
from registry.reports.writers.spreadsheet import BOLD, Book, Style, Styled, workbook

CONTENT_TYPE = spreadsheet.CONTENT_TYPE

# The style of a cell showing an action priority and of a finding's severity; the text
# is in the cell too.
AP_STYLES = {
    priority: Style(fill, ink, bold=True)
    for priority, (fill, ink) in palette.ACTION_PRIORITY.items()
}
SEVERITY_STYLES = {
    severity: Style(fill, ink, bold=True)
    for severity, (fill, ink) in palette.FINDING_SEVERITY.items()
}
RECOVERY_STYLES = {meets: Style(fill, ink) for meets, (fill, ink) in palette.RECOVERY.items()}
# A revised RPN worse than the initial ratings: flagged like a medium priority.
WORSE_STYLE = AP_STYLES[ActionPriority.MEDIUM]

# (header, width, key of the row dict): the FMEA layout (`registry.columns`), whose
# headers the worksheet import reads back as the export's columns.
WORKSHEET_COLUMNS = [
    (column.label, column.width, column.row)
    for column in (worksheet.COLUMNS[key] for key in worksheet.WORKSHEET)
]
TIER_COLUMNS = [
    ("Tier", 6, lambda row: row.tier.level if row.tier else "All"),
    ("Name", 18, lambda row: row.tier.name if row.tier else "All tiers"),
    ("Failure modes", 10, lambda row: row.failure_mode_count),
    ("Open", 8, lambda row: row.open_count),
    ("RPN max", 9, lambda row: row.rpn_max),
    ("RPN mean", 9, lambda row: round(row.rpn_mean, 1) if row.rpn_mean is not None else None),
    ("Over threshold", 10, lambda row: row.over_threshold_count),
    ("AP High", 8, lambda row: row.ap_high_count),
    ("AP Medium", 9, lambda row: row.ap_medium_count),
    ("AP Low", 8, lambda row: row.ap_low_count),
    ("Revised AP High", 9, lambda row: row.revised_ap_high_count),
    ("Open actions", 9, lambda row: row.open_action_count),
    ("Overdue actions", 9, lambda row: row.overdue_action_count),
    ("Findings", 9, lambda row: row.finding_count),
    ("Findings on assumed figures", 12, lambda row: row.assumed_finding_count),
]
FINDING_COLUMNS = [
    ("Severity", 10),
    ("Kind", 36),
    ("Finding", 90),
    ("Application", 24),
    ("Step", 22),
    ("Assumed figures", 12),
    ("First seen", 17),
]
# Vocabularies are written as their labels; the import reads labels and values alike.
LABELS = {
    "failure_category": dict(FailureCategory.choices),
    "status": dict(FailureModeStatus.choices),
    "component_kind": dict(ComponentKind.choices),
}


def write(context: ReportContext, out: BinaryIO, progress: Progress) -> int:
    with workbook(out) as book:
        if context.changes is not None:
            _changes_sheet(book, context)
        rows = _worksheet_sheet(book, context, progress)
        _summary_sheet(book, context)
        _findings_sheet(book, context)
        _recovery_sheet(book, context)
        _suppressions_sheet(book, context)
        _incidents_sheet(book, context)
    return rows


def _priority_cell(value: str | None) -> Styled | None:
    return Styled(value, AP_STYLES[value]) if value else None


def _worksheet_cell(key: str) -> Callable[[dict], object] | None:
    """How a Worksheet column's cell is made from a row of `data.worksheet_rows`; None
    for a column whose cell is the row's value as it is."""
    if key in ("action_priority", "revised_action_priority"):
        return lambda row: _priority_cell(row[key])
    if key == "revised_rpn":
        return lambda row: Styled(row[key], WORSE_STYLE) if row["revised_worse"] else row[key]
    if key in LABELS:
        labels = LABELS[key]
        return lambda row: labels.get(row[key], row[key])
    if key == "actions":
        return lambda row: "\n".join(map(data.action_text, row[key]))
    return None


# Chosen once per column, not again for every cell of every row: a row's values are
# read in one call, then the few shaped cells (labels, priorities, actions) replaced.
_ROW_VALUES = itemgetter(*(key for _, _, key in WORKSHEET_COLUMNS))
_SHAPED_CELLS = [
    (index, cell)
    for index, (_, _, key) in enumerate(WORKSHEET_COLUMNS)
    if (cell := _worksheet_cell(key)) is not None
]


def _worksheet_values(row: dict) -> list[object]:
    values = list(_ROW_VALUES(row))
    for index, cell in _SHAPED_CELLS:
        values[index] = cell(row)
    return values


def _worksheet_sheet(book: Book, context: ReportContext, progress: Progress) -> int:
    sheet = book.sheet("Worksheet", [width for _, width, _ in WORKSHEET_COLUMNS])
    sheet.freeze_header()
    sheet.filter(context.total, len(WORKSHEET_COLUMNS))
    sheet.header([name for name, _, _ in WORKSHEET_COLUMNS])
    count = 0
    for row in data.worksheet_rows(context.failure_modes()):
        sheet.append(_worksheet_values(row))
        count += 1
        if count % 500 == 0:
            progress(count)
    progress(count)
    return count


def _summary_sheet(book: Book, context: ReportContext) -> None:
    sheet = book.sheet("Summary", [width for _, width, _ in TIER_COLUMNS])
    sheet.append([Styled("FMEA risk report", BOLD)])
    sheet.append(["Team", context.team.name])
    sheet.append(["Generated", context.stamp])
    sheet.append(["Requested by", context.requested_by])
    for label, value in context.scope.describe():
        sheet.append([label, value])
    sheet.append(["Failure modes in scope", context.total])
    sheet.append([])
    sheet.append([Styled("Tier rollup", BOLD)])
    sheet.header([name for name, _, _ in TIER_COLUMNS])
    tier_rows = data.tier_rows(context.scope)
    for tier_row in tier_rows:
        sheet.append([getter(tier_row) for _, _, getter in TIER_COLUMNS])
    total = data.all_tiers(tier_rows)
    sheet.append([Styled(getter(total), BOLD) for _, _, getter in TIER_COLUMNS])
    sheet.append([])
    sheet.append([Styled("Failure modes by action priority", BOLD)])
    sheet.header(["AP", "Meaning", "Current", "Revised"])
    counts = data.priority_counts(context.scope.failure_modes())
    for value, label in ActionPriority.choices:
        sheet.append(
            [_priority_cell(value), label, counts["current"][value], counts["revised"][value]]
        )


def _findings_sheet(book: Book, context: ReportContext) -> None:
    findings = data.ranked_findings(context.scope)
    sheet = book.sheet("Findings", [width for _, width in FINDING_COLUMNS])
    sheet.freeze_header()
    sheet.filter(findings.count(), len(FINDING_COLUMNS))
    sheet.header([name for name, _ in FINDING_COLUMNS])
    kinds = dict(FindingKind.choices)
    for finding in findings.iterator(chunk_size=2000):
        sheet.append(
            [
                Styled(
                    finding.get_severity_display(), SEVERITY_STYLES.get(finding.severity, BOLD)
                ),
                kinds.get(finding.kind, finding.kind),
                finding.message,
                finding.application.name if finding.application else None,
                finding.step.name if finding.step else None,
                "assumed" if finding.rests_on_assumption else None,
                finding.first_seen_at.replace(tzinfo=None),
            ]
        )


def _recovery_sheet(book: Book, context: ReportContext) -> None:
    """Per step and disruption: objective, computed and last measured RTO and RPO."""
    sheet = book.sheet("Recovery", [34, 18, 12, 50, 30, 12, 50, 30])
    sheet.freeze_header()
    sheet.header(recovery_table.HEADINGS)
    for label, row in recovery_table.recovery_lines(context.scope):
        sheet.append(
            [
                cell.text if cell.meets is None else Styled(cell.text, RECOVERY_STYLES[cell.meets])
                for cell in recovery_table.recovery_cells(label, row)
            ]
        )
    sheet.append([])
    sheet.append([recovery_table.FOOTNOTE])


def _incidents_sheet(book: Book, context: ReportContext) -> None:
    """Per application: incidents over the evidence window, downtime, data lost and
    contradicted ratings (durations in seconds)."""
    sheet = book.sheet("Incidents", [40, 12, 18, 18, 22])
    sheet.header(
        [
            "Application",
            "Incidents",
            "Downtime (seconds)",
            "Data lost (seconds)",
            "Contradicted ratings",
        ]
    )
    for row in data.incident_rows(context.scope):
        sheet.append(
            [
                row.application,
                row.incidents,
                row.downtime_seconds,
                row.data_lost_seconds,
                row.contradicted,
            ]
        )


def _suppressions_sheet(book: Book, context: ReportContext) -> None:
    """The findings set aside, each with its decision (left out of the Findings sheet)."""
    sheet = book.sheet("Set aside", [60, 16, 50, 12, 14, 12])
    sheet.header(["Finding", "Decision", "Why", "Until", "By", "On"])
    for suppression in data.suppressions(context.scope):
        sheet.append(
            [
                suppression.message,
                suppression.get_status_display(),
                suppression.reason,
                suppression.expires_on,
                suppression.created_by.get_username() if suppression.created_by else None,
                suppression.created_at.replace(tzinfo=None),
            ]
        )


def _changes_sheet(book: Book, context: ReportContext) -> None:
    sheet = book.sheet("Changes", [120])
    for line in changes_module.summary_lines(context.changes):
        sheet.append([line])
