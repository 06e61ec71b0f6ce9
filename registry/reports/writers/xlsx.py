"""XLSX report (openpyxl, write-only so memory stays flat): a Worksheet sheet in the
FMEA column layout (frozen header, filters, widths, AP cells coloured), a Summary sheet
with the tier rollups and counts by action priority, a Findings sheet, a Recovery sheet, and for a
scheduled report a Changes sheet first.

Every text cell is written as a string: openpyxl would otherwise store a text that
starts with "=" as a formula, which the spreadsheet would run.
"""

from __future__ import annotations

import contextlib
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

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
from registry.reports.palette import argb

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# (fill, font colour) per action priority and per finding severity; the text is in the
# cell too.
AP_FILLS = {
    priority: (argb(fill), argb(ink)) for priority, (fill, ink) in palette.ACTION_PRIORITY.items()
}
SEVERITY_FILLS = {
    severity: (argb(fill), argb(ink)) for severity, (fill, ink) in palette.FINDING_SEVERITY.items()
}
HEADER_FILL = PatternFill("solid", fgColor=argb(palette.HEADER))
HEADER_FONT = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")

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
    workbook = Workbook(write_only=True)
    try:
        if context.changes is not None:
            _changes_sheet(workbook, context)
        rows = _worksheet_sheet(workbook, context, progress)
        _summary_sheet(workbook, context)
        _findings_sheet(workbook, context)
        _recovery_sheet(workbook, context)
        _suppressions_sheet(workbook, context)
        _incidents_sheet(workbook, context)
    except BaseException:
        # Close the half-written sheets' temporary files; the error itself goes on up.
        for sheet in workbook.worksheets:
            with contextlib.suppress(Exception):
                sheet.close()
        raise
    workbook.save(out)
    return rows


def text(sheet, value) -> WriteOnlyCell | object:
    """A cell value that is never taken for a formula."""
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def styled(sheet, value, fill: str | None = None, ink: str | None = None, bold=False):
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    if fill:
        cell.fill = PatternFill("solid", fgColor=fill)
    if ink or bold:
        cell.font = Font(color=ink, bold=bold)
    return cell


def header_row(sheet, names) -> list:
    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.fill = HEADER_FILL
        cell.font = HEADER_FONT
        cell.alignment = WRAP
        cells.append(cell)
    return cells


def set_widths(sheet, widths) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _priority_cell(sheet, value):
    if not value:
        return None
    fill, ink = AP_FILLS[value]
    return styled(sheet, value, fill, ink, bold=True)


def _worksheet_sheet(workbook, context: ReportContext, progress: Progress) -> int:
    sheet = workbook.create_sheet("Worksheet")
    # Frozen header and filters must be set before the first row is written.
    sheet.freeze_panes = "A2"
    last_column = get_column_letter(len(WORKSHEET_COLUMNS))
    sheet.auto_filter.ref = f"A1:{last_column}{context.total + 1}"
    set_widths(sheet, [width for _, width, _ in WORKSHEET_COLUMNS])
    sheet.append(header_row(sheet, [name for name, _, _ in WORKSHEET_COLUMNS]))
    count = 0
    for row in data.worksheet_rows(context.failure_modes()):
        values = []
        for _, _, key in WORKSHEET_COLUMNS:
            value = row[key]
            if key in ("action_priority", "revised_action_priority"):
                values.append(_priority_cell(sheet, value))
            elif key == "revised_rpn" and row["revised_worse"]:
                # Worse than the initial ratings: flagged like a medium priority.
                values.append(styled(sheet, value, *AP_FILLS["M"], bold=True))
            elif key in LABELS:
                values.append(LABELS[key].get(value, value))
            elif key == "actions":
                values.append(text(sheet, "\n".join(data.action_text(a) for a in value)))
            else:
                values.append(text(sheet, value))
        sheet.append(values)
        count += 1
        if count % 500 == 0:
            progress(count)
    progress(count)
    return count


def _summary_sheet(workbook, context: ReportContext) -> None:
    sheet = workbook.create_sheet("Summary")
    set_widths(sheet, [width for _, width, _ in TIER_COLUMNS])
    sheet.append([styled(sheet, "FMEA risk report", bold=True)])
    sheet.append(["Team", text(sheet, context.team.name)])
    sheet.append(["Generated", context.stamp])
    sheet.append(["Requested by", text(sheet, context.requested_by)])
    for label, value in context.scope.describe():
        sheet.append([label, text(sheet, value)])
    sheet.append(["Failure modes in scope", context.total])
    sheet.append([])
    sheet.append([styled(sheet, "Tier rollup", bold=True)])
    sheet.append(header_row(sheet, [name for name, _, _ in TIER_COLUMNS]))
    tier_rows = data.tier_rows(context.scope)
    for tier_row in tier_rows:
        sheet.append([getter(tier_row) for _, _, getter in TIER_COLUMNS])
    total = data.all_tiers(tier_rows)
    sheet.append([styled(sheet, getter(total), bold=True) for _, _, getter in TIER_COLUMNS])
    sheet.append([])
    sheet.append([styled(sheet, "Failure modes by action priority", bold=True)])
    sheet.append(header_row(sheet, ["AP", "Meaning", "Current", "Revised"]))
    counts = data.priority_counts(context.scope.failure_modes())
    for value, label in ActionPriority.choices:
        sheet.append(
            [
                _priority_cell(sheet, value),
                label,
                counts["current"][value],
                counts["revised"][value],
            ]
        )


def _findings_sheet(workbook, context: ReportContext) -> None:
    sheet = workbook.create_sheet("Findings")
    findings = data.ranked_findings(context.scope)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(FINDING_COLUMNS))}{findings.count() + 1}"
    set_widths(sheet, [width for _, width in FINDING_COLUMNS])
    sheet.append(header_row(sheet, [name for name, _ in FINDING_COLUMNS]))
    kinds = dict(FindingKind.choices)
    for finding in findings.iterator(chunk_size=2000):
        fill, ink = SEVERITY_FILLS.get(finding.severity, (None, None))
        sheet.append(
            [
                styled(sheet, finding.get_severity_display(), fill, ink, bold=True),
                kinds.get(finding.kind, finding.kind),
                text(sheet, finding.message),
                text(sheet, finding.application.name if finding.application else None),
                text(sheet, finding.step.name if finding.step else None),
                "assumed" if finding.rests_on_assumption else None,
                finding.first_seen_at.replace(tzinfo=None),
            ]
        )


RECOVERY_FILLS = {
    meets: (argb(fill), argb(ink)) for meets, (fill, ink) in palette.RECOVERY.items()
}


def _recovery_sheet(workbook, context: ReportContext) -> None:
    """Per step and disruption: objective, computed and last measured RTO and RPO."""
    sheet = workbook.create_sheet("Recovery")
    sheet.freeze_panes = "A2"
    set_widths(sheet, [34, 18, 12, 50, 30, 12, 50, 30])
    sheet.append(header_row(sheet, list(recovery_table.HEADINGS)))
    for label, row in recovery_table.recovery_lines(context.scope):
        sheet.append(
            [
                text(sheet, cell.text)
                if cell.meets is None
                else styled(sheet, cell.text, *RECOVERY_FILLS[cell.meets])
                for cell in recovery_table.recovery_cells(label, row)
            ]
        )
    sheet.append([])
    sheet.append([text(sheet, recovery_table.FOOTNOTE)])


def _incidents_sheet(workbook, context: ReportContext) -> None:
    """Per application: incidents over the evidence window, downtime, data lost and
    contradicted ratings (durations in seconds)."""
    sheet = workbook.create_sheet("Incidents")
    set_widths(sheet, [40, 12, 18, 18, 22])
    sheet.append(
        header_row(
            sheet,
            [
                "Application",
                "Incidents",
                "Downtime (seconds)",
                "Data lost (seconds)",
                "Contradicted ratings",
            ],
        )
    )
    for row in data.incident_rows(context.scope):
        sheet.append(
            [
                text(sheet, row.application),
                row.incidents,
                row.downtime_seconds,
                row.data_lost_seconds,
                row.contradicted,
            ]
        )


def _suppressions_sheet(workbook, context: ReportContext) -> None:
    """The findings set aside, each with its decision (left out of the Findings sheet)."""
    sheet = workbook.create_sheet("Set aside")
    set_widths(sheet, [60, 16, 50, 12, 14, 12])
    sheet.append(header_row(sheet, ["Finding", "Decision", "Why", "Until", "By", "On"]))
    for suppression in data.suppressions(context.scope):
        sheet.append(
            [
                text(sheet, suppression.message),
                suppression.get_status_display(),
                text(sheet, suppression.reason),
                suppression.expires_on,
                text(
                    sheet,
                    suppression.created_by.get_username() if suppression.created_by else None,
                ),
                suppression.created_at.replace(tzinfo=None),
            ]
        )


def _changes_sheet(workbook, context: ReportContext) -> None:
    sheet = workbook.create_sheet("Changes")
    sheet.column_dimensions["A"].width = 120
    for line in changes_module.summary_lines(context.changes):
        sheet.append([text(sheet, line)])
