"""A baseline's report, PDF or XLSX: the frozen worksheet of one application, and
what changed since (against now), every page stamped "Revision N, approved by X on
D". Built from the baseline's snapshot, so it is the same report whenever it is asked
for; an application's worksheet is small enough to write while the page waits.
"""

from __future__ import annotations

import io

from django.http import HttpResponse
from reportlab.lib.units import mm
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Spacer, Table

from registry.choices import FailureModeStatus
from registry.models import Baseline
from registry.reports import palette
from registry.reports.writers import spreadsheet
from registry.reports.writers.pdf.document import footer_canvas
from registry.reports.writers.pdf.theme import MARGIN, grid_style, page_size, para, styles
from registry.reports.writers.spreadsheet import BOLD, Style, Styled
from registry.services.baselines import Comparison, compare

FORMATS = {
    "pdf": "application/pdf",
    "xlsx": spreadsheet.CONTENT_TYPE,
}
TABLE_HEADER = Style(fill=palette.HEADER, bold=True)
WRAP = Style(wrap=True)
# (header, width in the PDF (relative) and XLSX (characters), value of a snapshot row)
COLUMNS = [
    ("Step", 14, lambda row: row["step_name"]),
    ("Component", 17, lambda row: row["component_name"] or ""),
    ("Failure mode", 24, lambda row: row["mode"]),
    ("Effect", 20, lambda row: row["effect"]),
    ("Cause", 20, lambda row: row["cause"]),
    ("Prevention controls", 20, lambda row: row["prevention_controls"]),
    ("Detection controls", 20, lambda row: row["detection_controls"]),
    ("S", 4, lambda row: row["severity"]),
    ("P", 4, lambda row: row["probability"]),
    ("D", 4, lambda row: row["detectability"]),
    ("RPN", 8, lambda row: row["rpn"]),
    ("AP", 6, lambda row: row["action_priority"]),
    ("Status", 9, lambda row: FailureModeStatus(row["status"]).label),
    ("Actions", 24, lambda row: "\n".join(action_line(a) for a in row["actions"])),
    ("Rev. S/P/D", 10, lambda row: revised(row)),
    ("Rev. RPN", 9, lambda row: row["revised_rpn"]),
    ("Rev. AP", 8, lambda row: row["revised_action_priority"]),
]


def action_line(action: dict) -> str:
    due = f", due {action['due_date']}" if action.get("due_date") else ""
    return f"{action['description']} ({action['owner'] or 'no owner'}{due}, {action['status']})"


def revised(row: dict) -> str:
    values = [row[f"revised_{name}"] for name in ("severity", "probability", "detectability")]
    return "/".join(str(v) for v in values) if values[0] is not None else ""


def change_line(change) -> str:
    """ "S 5 → 9, RPN 125 → 225, AP M → H" for a change; every figure for a row added
    or removed."""
    labels = {"severity": "S", "probability": "P", "detectability": "D", "rpn": "RPN"}
    labels["action_priority"] = "AP"
    parts = []
    for name, before, after in change.figures():
        if change.kind == "changed" and before == after:
            continue
        parts.append(
            f"{labels[name]} {'—' if before is None else before} → "
            f"{'—' if after is None else after}"
        )
    if change.others:
        parts.append("also " + ", ".join(change.others))
    return ", ".join(parts)


def header_lines(baseline: Baseline) -> list[str]:
    creator = baseline.created_by.get_username() if baseline.created_by else "a former user"
    return [
        f"{baseline.application.name}: Rev {baseline.number} — {baseline.title}",
        baseline.stamp,
        f"Frozen by {creator} on {baseline.created_at:%Y-%m-%d %H:%M}.",
    ]


def write_pdf(baseline: Baseline, comparison: Comparison) -> bytes:
    out = io.BytesIO()
    title, stamp, frozen = header_lines(baseline)
    document = BaseDocTemplate(
        out,
        pagesize=page_size(),
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm,
        title=title,
        author="FMEA risk register",
        subject=stamp,
    )
    frame = Frame(MARGIN, MARGIN + 4 * mm, document.width, document.height, id="body")
    document.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    style = styles()
    story: list = [
        Paragraph(title, style["h1"]),
        Paragraph(stamp, style["h2"]),
        Paragraph(frozen, style["muted"]),
    ]
    if baseline.notes:
        story.append(para(baseline.notes, "base"))
    story.append(Spacer(1, 4 * mm))
    rows = baseline.snapshot["failure_modes"]
    story.append(Paragraph(f"Worksheet ({len(rows)} failure modes)", style["h2"]))
    widths = [w for _, w, _ in COLUMNS]
    scale = document.width / sum(widths)
    table = [[para(header, "head") for header, _, _ in COLUMNS]]
    table += [[para(value(row)) for _, _, value in COLUMNS] for row in rows]
    if not rows:
        table.append([para("No failure modes.")] + [""] * (len(COLUMNS) - 1))
    story.append(
        Table(table, colWidths=[w * scale for w in widths], repeatRows=1, style=grid_style())
    )
    story.append(Paragraph(f"Changes since: Rev {baseline.number} → now", style["h2"]))
    changes = [[para(h, "head") for h in ("Change", "Step", "Failure mode", "Before → after")]]
    changes += [
        [para(c.kind), para(c.step), para(c.mode), para(change_line(c))]
        for c in comparison.changes
    ]
    if not comparison.changes:
        changes.append([para("None: the worksheet is as frozen."), "", "", ""])
    scale = document.width / 100
    story.append(
        Table(
            changes,
            colWidths=[10 * scale, 20 * scale, 35 * scale, 35 * scale],
            repeatRows=1,
            style=grid_style(),
        )
    )
    footer = f"{baseline.application.name} · {stamp} · FMEA baseline report"
    document.build(story, canvasmaker=footer_canvas(footer))
    return out.getvalue()


def write_xlsx(baseline: Baseline, comparison: Comparison) -> bytes:
    out = io.BytesIO()
    lines = header_lines(baseline)
    with spreadsheet.workbook(out) as book:
        sheet = book.sheet("Baseline", [width for _, width, _ in COLUMNS])
        for line in lines:
            sheet.append([Styled(line, BOLD)])
        if baseline.notes:
            sheet.append([baseline.notes])
        sheet.append([])
        sheet.worksheet.freeze_panes(sheet.row + 1, 0)  # under the table's header
        sheet.append([Styled(header, TABLE_HEADER) for header, _, _ in COLUMNS])
        for row in baseline.snapshot["failure_modes"]:
            sheet.append([Styled(text(value(row)), WRAP) for _, _, value in COLUMNS])
        changes = book.sheet("Changes since")
        changes.append([f"Rev {baseline.number} → now"])
        changes.append(["Change", "Step", "Failure mode", "Before → after"])
        for change in comparison.changes:
            changes.append(
                [change.kind, text(change.step), text(change.mode), change_line(change)]
            )
        for each in (sheet, changes):
            # Printed, every page carries the revision and its approval ("&&" is a
            # literal "&" in a page header or footer).
            each.worksheet.set_header("&C" + lines[1].replace("&", "&&"))
            each.worksheet.set_footer(
                "&L" + baseline.application.name.replace("&", "&&") + "&RPage &P of &N"
            )
    return out.getvalue()


def text(value):
    """Text as a string cell: a snapshot text starting with "=" is not a formula."""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
        return "'" + value
    return value


WRITERS = {"pdf": write_pdf, "xlsx": write_xlsx}


def render(baseline: Baseline, format: str, comparison: Comparison) -> bytes:
    return WRITERS[format](baseline, comparison)


def download(baseline: Baseline, format: str) -> HttpResponse:
    """The report as a file to save, against the FMEA now (the page's and the API's)."""
    content = render(baseline, format, compare(baseline, "current"))
    response = HttpResponse(content, content_type=FORMATS[format])
    name = f"{baseline.application.name}-rev-{baseline.number}.{format}".replace(" ", "-")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
