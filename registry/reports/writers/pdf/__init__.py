"""PDF report (ReportLab), landscape A4 or US Letter (REPORT_PAGE_SIZE).

Cover; for a scheduled report the changes since the previous one; executive summary
(tier rollup table, counts by action priority, top findings); the severity × probability
heat map and the RPN Pareto chart, drawn by `reports.charts` (the web pages' chart
code) and converted from SVG with svglib; the findings; each step's recovery
(`reports.recovery`); and the worksheet grouped by
application and step, with table headers repeated on every page, page numbers and a
generated-at footer.

theme      page size, fonts, paragraph styles, colours and the table grid
document   the document template: footers, "(continued)" lines, progress
sections   cover, changes, summary, charts and findings
worksheet  the worksheet tables and the word wrap that keeps large reports fast
"""

from __future__ import annotations

from typing import BinaryIO

from registry.reports.context import Progress, ReportContext
from registry.reports.writers.pdf import worksheet
from registry.reports.writers.pdf.document import ReportDocument, footer_canvas
from registry.reports.writers.pdf.sections import (
    changes_section,
    chart_page,
    cover,
    findings_section,
    recovery_section,
    summary,
)

CONTENT_TYPE = "application/pdf"


def write(context: ReportContext, out: BinaryIO, progress: Progress) -> int:
    document = ReportDocument(out, context, progress)
    width = document.width
    story: list = []
    story += cover(context)
    if context.changes is not None:
        story += changes_section(context)
    story += summary(context, width)
    story += chart_page(context, width)
    story += findings_section(context, width)
    story += recovery_section(context, width)
    table_rows, rows = worksheet.tables(context, width)
    story += table_rows
    footer = f"FMEA risk report · {context.team.name} · generated {context.stamp}"
    document.build(story, canvasmaker=footer_canvas(footer))
    return rows
