"""PDF report (ReportLab), landscape A4 or US Letter (REPORT_PAGE_SIZE).

Cover; for a scheduled report the changes since the previous one; executive summary
(tier rollup table, counts by action priority, top findings); the severity × probability
heat map and the RPN Pareto chart, drawn by `registry.charts` (the web pages' chart
code) and converted from SVG with svglib; the findings; and the worksheet grouped by
application and step, with table headers repeated on every page, page numbers and a
generated-at footer.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape

from django.conf import settings
from reportlab import rl_config
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, LETTER, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.doctemplate import ActionFlowable
from svglib.fonts import register_font
from svglib.svglib import svg2rlg

from registry import charts
from registry.choices import ActionPriority, FailureModeStatus, FindingKind, FindingSeverity
from registry.reports import changes as changes_module
from registry.reports import data
from registry.reports.context import Progress, ReportContext

CONTENT_TYPE = "application/pdf"
# Page streams are compressed; ASCII85 on top only makes the file larger and slower.
rl_config.useA85 = 0
MARGIN = 12 * mm
FINDINGS_LIMIT = 500  # the XLSX lists them all
TOP_FINDINGS = 10

INK = colors.HexColor("#1f2328")
MUTED = colors.HexColor("#57606a")
LINE = colors.HexColor("#d0d7de")
HEADER_BG = colors.HexColor("#dde3ea")
ZEBRA = colors.HexColor("#f6f8fa")
AP_COLOURS = {
    ActionPriority.HIGH: (colors.HexColor("#f8d0cc"), colors.HexColor("#8a1c10")),
    ActionPriority.MEDIUM: (colors.HexColor("#fde9b5"), colors.HexColor("#7a4b00")),
    ActionPriority.LOW: (colors.HexColor("#d8f0dc"), colors.HexColor("#1a5c2a")),
}
SEVERITY_COLOURS = {
    FindingSeverity.CRITICAL: colors.HexColor("#8a1c10"),
    FindingSeverity.HIGH: colors.HexColor("#b8451f"),
    FindingSeverity.MEDIUM: colors.HexColor("#7a4b00"),
    FindingSeverity.LOW: MUTED,
}
STATUSES = dict(FailureModeStatus.choices)
KINDS = dict(FindingKind.choices)
FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu")]


@cache
def fonts() -> tuple[str, str]:
    """(regular, bold): DejaVu Sans where installed (wide Unicode coverage), else the
    Vera fonts that ship with ReportLab."""
    for directory in FONT_DIRS:
        regular, bold = directory / "DejaVuSans.ttf", directory / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            paths = {"normal": str(regular), "bold": str(bold)}
            break
    else:
        paths = {"normal": "Vera.ttf", "bold": "VeraBd.ttf"}
    pdfmetrics.registerFont(TTFont("ReportSans", paths["normal"]))
    pdfmetrics.registerFont(TTFont("ReportSans-Bold", paths["bold"]))
    pdfmetrics.registerFontFamily(
        "ReportSans", normal="ReportSans", bold="ReportSans-Bold", italic="ReportSans"
    )
    # The charts name a list of UI fonts, the first being system-ui: map it to the
    # report's font, so that svglib finds it at once instead of asking fontconfig.
    first = charts.FONT.split("=", 1)[1].strip('"').split(",")[0].strip()
    for weight, name, path in (
        ("normal", "ReportSans", paths["normal"]),
        ("bold", "ReportSans-Bold", paths["bold"]),
        ("600", "ReportSans-Bold", paths["bold"]),
    ):
        register_font(first, path, weight=weight, rlgFontName=name)
    return "ReportSans", "ReportSans-Bold"


@cache
def arrow() -> str:
    """ "→" where the report's font has it (DejaVu), else "->" (Vera lacks it)."""
    regular, _ = fonts()
    return "→" if ord("→") in pdfmetrics.getFont(regular).face.charToGlyph else "->"


@cache
def styles() -> dict[str, ParagraphStyle]:
    regular, bold = fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=9, leading=11.5, textColor=INK)
    return {
        "base": base,
        "title": ParagraphStyle("title", base, fontName=bold, fontSize=26, leading=32),
        "subtitle": ParagraphStyle("subtitle", base, fontSize=14, leading=18, textColor=MUTED),
        "h1": ParagraphStyle(
            "h1", base, fontName=bold, fontSize=16, leading=20, spaceAfter=6, keepWithNext=1
        ),
        "h2": ParagraphStyle(
            "h2",
            base,
            fontName=bold,
            fontSize=12,
            leading=15,
            spaceBefore=8,
            spaceAfter=3,
            keepWithNext=1,
        ),
        "h3": ParagraphStyle(
            "h3",
            base,
            fontName=bold,
            fontSize=9.5,
            leading=12,
            spaceBefore=5,
            spaceAfter=2,
            keepWithNext=1,
        ),
        "muted": ParagraphStyle("muted", base, textColor=MUTED),
        # Worksheet headings: a CondPageBreak keeps them off the foot of a page, and a
        # long table starts right below them instead of on the next page.
        "app": ParagraphStyle(
            "app", base, fontName=bold, fontSize=12, leading=15, spaceBefore=8, spaceAfter=3
        ),
        "step": ParagraphStyle(
            "step", base, fontName=bold, fontSize=9.5, leading=12, spaceBefore=5, spaceAfter=2
        ),
        "cell": ParagraphStyle("cell", base, fontSize=7, leading=8.6),
        "cell_bold": ParagraphStyle("cell_bold", base, fontName=bold, fontSize=7, leading=8.6),
        "head": ParagraphStyle("head", base, fontName=bold, fontSize=7, leading=8.6),
        "num": ParagraphStyle("num", base, fontSize=7, leading=8.6, alignment=TA_RIGHT),
        "bullet": ParagraphStyle("bullet", base, leftIndent=12, bulletIndent=2),
    }


def page_size() -> tuple[float, float]:
    return landscape(LETTER if settings.REPORT_PAGE_SIZE == "LETTER" else A4)


def para(value, style: str = "cell") -> Paragraph:
    return Paragraph(
        escape("" if value is None else str(value)).replace("\n", "<br/>"), styles()[style]
    )


class RowsDone(Flowable):
    """An invisible marker after a worksheet table: lets the build report progress."""

    def __init__(self, rows: int) -> None:
        super().__init__()
        self.rows = rows

    def wrap(self, available_width, available_height):
        return 0, 0

    def draw(self) -> None:
        return


def footer_canvas(footer: str):
    """A canvas that numbers its pages "Page n of N" and draws the footer on each."""
    regular, _ = fonts()

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._draw_footer(total)
                super().showPage()
            super().save()

        def _draw_footer(self, total: int) -> None:
            width, _ = self._pagesize
            self.saveState()
            self.setStrokeColor(LINE)
            self.setLineWidth(0.5)
            self.line(MARGIN, MARGIN - 2 * mm, width - MARGIN, MARGIN - 2 * mm)
            self.setFont(regular, 7.5)
            self.setFillColor(MUTED)
            self.drawString(MARGIN, MARGIN - 6 * mm, footer)
            self.drawRightString(
                width - MARGIN, MARGIN - 6 * mm, f"Page {self._pageNumber} of {total}"
            )
            self.restoreState()

    return NumberedCanvas


class ReportDocument(BaseDocTemplate):
    def __init__(self, out: BinaryIO, context: ReportContext, progress: Progress) -> None:
        super().__init__(
            out,
            pagesize=page_size(),
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN,
            bottomMargin=MARGIN + 4 * mm,
            title=f"FMEA risk report: {context.team.name}",
            author="FMEA risk register",
            subject=f"Generated {context.stamp}",
        )
        frame = Frame(
            self.leftMargin, self.bottomMargin, self.width, self.height, id="body", showBoundary=0
        )
        self.addPageTemplates([PageTemplate(id="page", frames=[frame])])
        self.progress = progress
        self.rows_done = 0
        self.section = ""
        self.fresh_page = False

    def beforePage(self) -> None:
        self.fresh_page = True

    def afterFlowable(self, flowable) -> None:
        if self.fresh_page and not isinstance(flowable, ActionFlowable):
            self.fresh_page = False
            if isinstance(flowable, Table) and self.section:
                # The page goes on with a table from the page before: say whose it is.
                self.continued(self.section)
        label = getattr(flowable, "section_label", None)
        if label:
            self.section = label
        if isinstance(flowable, RowsDone):
            self.rows_done += flowable.rows
            self.progress(self.rows_done)

    def continued(self, label: str) -> None:
        regular, _ = fonts()
        canvas = self.canv
        canvas.saveState()
        canvas.setFont(regular, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(
            self.leftMargin, self.pagesize[1] - MARGIN + 3 * mm, f"{label} (continued)"
        )
        canvas.restoreState()


def heading(text: str, style: str, label: str) -> Paragraph:
    """A heading that names the section for the pages a long table continues on."""
    paragraph = Paragraph(text, styles()[style])
    paragraph.section_label = label
    return paragraph


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
    table_rows, rows = worksheet(context, width)
    story += table_rows
    footer = f"FMEA risk report · {context.team.name} · generated {context.stamp}"
    document.build(story, canvasmaker=footer_canvas(footer))
    return rows


# --- sections -------------------------------------------------------------------------


def cover(context: ReportContext) -> list:
    s = styles()
    scope_rows = [
        [para(label, "cell_bold"), para(value)] for label, value in context.scope.describe()
    ]
    facts = [
        [para("Team", "cell_bold"), para(context.team.name)],
        [para("Generated", "cell_bold"), para(context.stamp)],
        [para("Requested by", "cell_bold"), para(context.requested_by)],
        [para("Failure modes in scope", "cell_bold"), para(f"{context.total:,}")],
    ]
    table = Table(facts + scope_rows, colWidths=[55 * mm, 140 * mm], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, LINE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ("LINEBELOW", (0, len(facts) - 1), (-1, len(facts) - 1), 1, INK),
            ]
        )
    )
    return [
        Spacer(1, 30 * mm),
        Paragraph("FMEA risk report", s["title"]),
        Spacer(1, 3 * mm),
        Paragraph(escape(context.team.name), s["subtitle"]),
        Spacer(1, 12 * mm),
        table,
        Spacer(1, 8 * mm),
        Paragraph(
            "RPN = severity × probability × detectability (1–1000). AP is the AIAG-VDA action "
            "priority (High, Medium, Low), which weighs severity first. Filters above say "
            "which failure modes this report covers.",
            s["muted"],
        ),
        PageBreak(),
    ]


def changes_section(context: ReportContext) -> list:
    s = styles()
    lines = [line.replace("→", arrow()) for line in changes_module.summary_lines(context.changes)]
    story: list = [Paragraph("What changed since the previous report", s["h1"])]
    for line in lines:
        if line.startswith("  - "):
            story.append(Paragraph(escape(line[4:]), s["bullet"], bulletText="•"))
        elif line.startswith("  "):
            story.append(Paragraph(escape(line.strip()), s["base"]))
        else:
            story.append(Paragraph(escape(line), s["h3"]))
    story.append(PageBreak())
    return story


def grid_style(header_rows: int = 1) -> list:
    return [
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), HEADER_BG),
        ("GRID", (0, 0), (-1, -1), 0.3, LINE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]


def summary(context: ReportContext, width: float) -> list:
    s = styles()
    tier_rows = data.tier_rows(context.scope)
    headers = [
        "Tier",
        "Failure modes",
        "Open",
        "RPN max",
        "RPN mean",
        "Over threshold",
        "AP High",
        "AP Medium",
        "AP Low",
        "Open actions",
        "Overdue actions",
        "Findings",
    ]

    def figures(row: data.TierRow, name: str) -> list:
        mean = f"{row.rpn_mean:.0f}" if row.rpn_mean is not None else "—"
        return [
            para(name, "cell_bold" if row.tier is None else "cell"),
            *[
                para(value, "num")
                for value in (
                    row.failure_mode_count,
                    row.open_count,
                    row.rpn_max if row.rpn_max is not None else "—",
                    mean,
                    row.over_threshold_count,
                    row.ap_high_count,
                    row.ap_medium_count,
                    row.ap_low_count,
                    row.open_action_count,
                    row.overdue_action_count,
                    row.finding_count,
                )
            ],
        ]

    table_data = [[para(h, "head") for h in headers]]
    table_data += [figures(row, data.tier_label(row.tier)) for row in tier_rows]
    table_data.append(figures(data.all_tiers(tier_rows), "All tiers"))
    first = 60 * mm
    tier_table = Table(
        table_data,
        colWidths=[first] + [(width - first) / (len(headers) - 1)] * (len(headers) - 1),
        repeatRows=1,
    )
    tier_table.setStyle(TableStyle([*grid_style(), ("LINEABOVE", (0, -1), (-1, -1), 1, INK)]))

    counts = data.priority_counts(context.scope.failure_modes())
    ap_data = [[para("Action priority", "head"), para("Current", "head"), para("Revised", "head")]]
    ap_style = grid_style()
    for index, (value, label) in enumerate(ActionPriority.choices, start=1):
        ap_data.append(
            [
                para(f"{value} — {label}", "cell_bold"),
                para(counts["current"][value], "num"),
                para(counts["revised"][value], "num"),
            ]
        )
        fill, _ = AP_COLOURS[value]
        ap_style.append(("BACKGROUND", (0, index), (0, index), fill))
    ap_table = Table(ap_data, colWidths=[45 * mm, 25 * mm, 25 * mm], hAlign="LEFT")
    ap_table.setStyle(TableStyle(ap_style))

    top = list(data.ranked_findings(context.scope)[:TOP_FINDINGS])
    top_story: list
    if top:
        top_table = Table(
            [[para("Severity", "head"), para("Finding", "head")]]
            + [[severity_para(f.severity), para(f.message)] for f in top],
            colWidths=[22 * mm, width - 95 * mm - 22 * mm - 10 * mm],
            repeatRows=1,
        )
        top_table.setStyle(TableStyle(grid_style()))
        top_story = [top_table]
    else:
        top_story = [Paragraph("No resilience findings in scope.", s["muted"])]

    side_by_side = Table(
        [
            [
                [Paragraph("Counts by action priority", s["h2"]), ap_table],
                [
                    Paragraph(
                        f"Top findings (of {data.findings(context.scope).count():,})", s["h2"]
                    ),
                    *top_story,
                ],
            ]
        ],
        colWidths=[95 * mm, width - 95 * mm],
        hAlign="LEFT",
    )
    side_by_side.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (0, 0), 8 * mm),
            ]
        )
    )
    return [
        Paragraph("Executive summary", s["h1"]),
        Paragraph("Tier rollup", s["h2"]),
        tier_table,
        Spacer(1, 4 * mm),
        side_by_side,
        PageBreak(),
    ]


def severity_para(severity: str) -> Paragraph:
    colour = SEVERITY_COLOURS.get(severity, INK).hexval()[2:]
    label = FindingSeverity(severity).label
    return Paragraph(f'<font color="#{colour}"><b>{label}</b></font>', styles()["cell"])


def svg_drawing(svg: str, max_width: float, max_height: float) -> Drawing:
    """The chart module's SVG as a ReportLab drawing, scaled to fit the box."""
    fonts()
    drawing = svg2rlg(io.BytesIO(svg.replace("→", arrow()).encode()))
    scale = min(max_width / drawing.width, max_height / drawing.height)
    drawing.width, drawing.height = drawing.width * scale, drawing.height * scale
    drawing.scale(scale, scale)
    return drawing


def chart_page(context: ReportContext, width: float) -> list:
    s = styles()
    failure_modes = context.scope.failure_modes()
    heat = charts.heat_map(data.heat_counts(failure_modes))
    items = data.pareto_rows(failure_modes)
    pareto = charts.pareto([(item.label, item.rpn, item.cumulative_share) for item in items])
    _, page_height = page_size()
    height = page_height - 2 * MARGIN - 40 * mm
    heat_drawing = svg_drawing(heat, width * 0.38, height)
    pareto_drawing = svg_drawing(pareto, width * 0.6, height * 0.62)
    legend = [
        Paragraph(f"{index}. {escape(item.label)} — RPN {item.rpn}", s["cell"])
        for index, item in enumerate(items, start=1)
    ]
    charts_table = Table(
        [
            [Paragraph("Severity × probability", s["h2"]), Paragraph("Pareto of RPN", s["h2"])],
            [heat_drawing, [pareto_drawing, Spacer(1, 2 * mm), *legend]],
        ],
        colWidths=[width * 0.4, width * 0.6],
    )
    charts_table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [
        Paragraph("Risk charts", s["h1"]),
        Paragraph(
            "Left: how many failure modes sit at each severity and probability. Right: the "
            f"{len(items)} highest RPNs and their cumulative share of the scope's total RPN.",
            s["muted"],
        ),
        Spacer(1, 3 * mm),
        charts_table,
        PageBreak(),
    ]


def findings_section(context: ReportContext, width: float) -> list:
    s = styles()
    findings = data.ranked_findings(context.scope)
    total = findings.count()
    story: list = [heading("Resilience findings", "h1", "Resilience findings")]
    if not total:
        return [
            *story,
            Paragraph("No resilience findings in scope.", s["muted"]),
            Spacer(1, 6 * mm),
        ]
    rows = [[para(h, "head") for h in ("Severity", "Kind", "Finding", "Application / step")]]
    for finding in findings[:FINDINGS_LIMIT]:
        where = " / ".join(
            name
            for name in (
                finding.application.name if finding.application else "",
                finding.step.name if finding.step else "",
            )
            if name
        )
        rows.append(
            [
                severity_para(finding.severity),
                para(KINDS.get(finding.kind, finding.kind)),
                para(finding.message),
                para(where or "—"),
            ]
        )
    table = Table(
        rows,
        colWidths=[20 * mm, 55 * mm, width - 20 * mm - 55 * mm - 60 * mm, 60 * mm],
        repeatRows=1,
    )
    table.setStyle(TableStyle(grid_style()))
    story.append(table)
    if total > FINDINGS_LIMIT:
        story.append(
            Paragraph(
                f"The first {FINDINGS_LIMIT} of {total:,} findings; the XLSX report lists all.",
                s["muted"],
            )
        )
    story.append(PageBreak())
    return story


# --- the worksheet --------------------------------------------------------------------
# The worksheet is most of a large report, so its tables hold plain strings, wrapped here
# with widths cached per word: ReportLab draws those line by line, far faster than it
# lays out a Paragraph per cell.

CELL_SIZE = 7
CELL_LEADING = 8.6
CELL_PADDING = 3

# (header, relative width); the widths are scaled to the page.
WORKSHEET_COLUMNS = [
    ("Component", 70),
    ("Failure mode", 110),
    ("Effect", 100),
    ("Cause", 95),
    ("Controls: prevention / detection", 120),
    ("S", 18),
    ("P", 18),
    ("D", 18),
    ("RPN", 26),
    ("AP", 20),
    ("Status", 44),
    ("Actions", 131),
]
NUMBER_COLUMNS = (5, 6, 7, 8)
AP_COLUMN = 9


class Wrapper:
    """Greedy word wrap for one font and size, with the width of each word cached."""

    def __init__(self, font: str, size: float) -> None:
        self.font, self.size = font, size
        self.widths: dict[str, float] = {}
        self.space = self.width(" ")

    def width(self, word: str) -> float:
        width = self.widths.get(word)
        if width is None:
            if len(self.widths) > 200_000:
                self.widths.clear()
            width = self.widths[word] = pdfmetrics.stringWidth(word, self.font, self.size)
        return width

    def wrap(self, text: str | None, available: float) -> str:
        lines: list[str] = []
        for paragraph in (text or "").split("\n"):
            line: list[str] = []
            used = 0.0
            for word in paragraph.split():
                width = self.width(word)
                if width > available:  # a word wider than the column: break it
                    if line:
                        lines.append(" ".join(line))
                    pieces = self.break_word(word, available)
                    lines.extend(pieces[:-1])
                    line, used = [pieces[-1]], self.width(pieces[-1])
                elif line and used + self.space + width > available:
                    lines.append(" ".join(line))
                    line, used = [word], width
                else:
                    used += width + (self.space if line else 0)
                    line.append(word)
            lines.append(" ".join(line))
        return "\n".join(lines)

    def break_word(self, word: str, available: float) -> list[str]:
        pieces, current = [], ""
        for char in word:
            if (
                current
                and pdfmetrics.stringWidth(current + char, self.font, self.size) > available
            ):
                pieces.append(current)
                current = ""
            current += char
        return [*pieces, current]


def worksheet(context: ReportContext, width: float) -> tuple[list, int]:
    """The worksheet: a heading per application and per step, one table per step."""
    s = styles()
    regular, bold = fonts()
    scale = width / sum(w for _, w in WORKSHEET_COLUMNS)
    widths = [w * scale for _, w in WORKSHEET_COLUMNS]
    inner = [w - 2 * CELL_PADDING for w in widths]
    plain, strong = Wrapper(regular, CELL_SIZE), Wrapper(bold, CELL_SIZE)
    header = [strong.wrap(name, inner[i]) for i, (name, _) in enumerate(WORKSHEET_COLUMNS)]
    story: list = [Paragraph("Worksheet", s["h1"])]
    if not context.total:
        story.append(Paragraph("No failure modes in scope.", s["muted"]))
    application = step = None
    cells: list[list] = []
    priorities: list[str] = []
    count = 0

    def flush() -> None:
        if cells:
            story.append(step_table(header, cells, priorities, widths))
            story.append(RowsDone(len(cells)))
            cells.clear()
            priorities.clear()

    for row in data.worksheet_rows(context.failure_modes()):
        if row["application_id"] != application:
            flush()
            application = row["application_id"]
            function = f" · {row['business_function']}" if row["business_function"] else ""
            story.append(CondPageBreak(40 * mm))
            story.append(
                heading(
                    f"{escape(row['application'])} <font color='#57606a' size='9'>"
                    f"Tier {row['tier']}{escape(function)}</font>",
                    "app",
                    f"Worksheet · {row['application']}",
                )
            )
            step = None
        if row["step_id"] != step:
            flush()
            step = row["step_id"]
            story.append(CondPageBreak(25 * mm))
            story.append(
                heading(
                    f"Step {row['step_order']}. {escape(row['step_name'])}",
                    "step",
                    f"Worksheet · {row['application']} · step {row['step_order']}. "
                    f"{row['step_name']}",
                )
            )
        controls = " / ".join(
            part for part in (row["prevention_controls"], row["detection_controls"]) if part
        )
        revised = f"\n{arrow()} {row['revised_rpn']}" if row["revised_rpn"] is not None else ""
        actions = "\n".join(f"• {data.action_text(action)}" for action in row["actions"])
        cells.append(
            [
                plain.wrap(row["component_name"] or "—", inner[0]),
                strong.wrap(row["mode"], inner[1]),
                plain.wrap(row["effect"], inner[2]),
                plain.wrap(row["cause"], inner[3]),
                plain.wrap(controls, inner[4]),
                str(row["severity"]),
                str(row["probability"]),
                str(row["detectability"]),
                f"{row['rpn']}{revised}",
                row["action_priority"],
                STATUSES.get(row["status"], row["status"]),
                plain.wrap(actions or "—", inner[11]),
            ]
        )
        priorities.append(row["action_priority"])
        count += 1
    flush()
    return story, count


def step_table(header: list, cells: list[list], priorities: list[str], widths) -> Table:
    regular, bold = fonts()
    style = [
        *grid_style(),
        ("FONT", (0, 0), (-1, -1), regular, CELL_SIZE, CELL_LEADING),
        ("FONT", (0, 0), (-1, 0), bold, CELL_SIZE, CELL_LEADING),
        ("FONT", (1, 1), (1, -1), bold, CELL_SIZE, CELL_LEADING),
        ("FONT", (AP_COLUMN, 1), (AP_COLUMN, -1), bold, CELL_SIZE, CELL_LEADING),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("ALIGN", (NUMBER_COLUMNS[0], 1), (NUMBER_COLUMNS[-1], -1), "RIGHT"),
        ("ALIGN", (AP_COLUMN, 1), (AP_COLUMN, -1), "CENTER"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA]),
    ]
    for index, priority in enumerate(priorities, start=1):
        fill, ink = AP_COLOURS[priority]
        style += [
            ("BACKGROUND", (AP_COLUMN, index), (AP_COLUMN, index), fill),
            ("TEXTCOLOR", (AP_COLUMN, index), (AP_COLUMN, index), ink),
        ]
    table = Table([header, *cells], colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle(style))
    return table
