"""The PDF's sections before the worksheet: cover, changes since the previous report,
executive summary (tier rollups, counts by action priority, top findings), the risk
charts (the web pages' SVG charts, converted with svglib) and the findings."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.conf import settings
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, Spacer, Table, TableStyle
from svglib.svglib import svg2rlg

from registry.analysis.evidence import duration_words, window_words
from registry.choices import ActionPriority, FindingKind
from registry.reports import changes as changes_module
from registry.reports import charts, data
from registry.reports import recovery as recovery_table
from registry.reports.context import ReportContext
from registry.reports.writers.pdf.document import heading
from registry.reports.writers.pdf.theme import (
    AP_COLOURS,
    INK,
    LINE,
    MARGIN,
    RECOVERY_COLOURS,
    arrow,
    fonts,
    grid_style,
    page_size,
    para,
    severity_para,
    styles,
)

FINDINGS_LIMIT = 500  # the XLSX lists them all
TOP_FINDINGS = 10
KINDS = dict(FindingKind.choices)


def finding_text(finding) -> str:
    """A finding's message, marked when it rests on an assumed availability figure."""
    if finding.rests_on_assumption:
        return f"{finding.message} [rests on assumed figures]"
    return finding.message


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
            + [[severity_para(f.severity), para(finding_text(f))] for f in top],
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
    # Numbered bars: the legend below the chart names them in full.
    pareto = charts.pareto(
        [(item.label, item.rpn, item.cumulative_share) for item in items], named=False
    )
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
                para(finding_text(finding)),
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
    story += suppressions_section(context, width)
    story += incidents_section(context, width)
    story.append(PageBreak())
    return story


def recovery_section(context: ReportContext, width: float) -> list:
    """Per step and disruption: objective, computed and last measured RTO and RPO, each
    cell coloured by whether it meets the objective."""
    s = styles()
    lines = recovery_table.recovery_lines(context.scope)
    story: list = [heading("Recovery", "h1", "Recovery")]
    if not lines:
        return [*story, Paragraph("No steps in scope.", s["muted"]), PageBreak()]
    rows = [[para(h, "head") for h in recovery_table.HEADINGS]]
    style = grid_style()
    for number, (label, row) in enumerate(lines, start=1):
        cells = recovery_table.recovery_cells(label, row)
        rows.append([para(cell.text) for cell in cells])
        for column, cell in enumerate(cells):
            if cell.meets is not None:
                style.append(
                    (
                        "BACKGROUND",
                        (column, number),
                        (column, number),
                        RECOVERY_COLOURS[cell.meets],
                    )
                )
    narrow = 18 * mm
    wide = (width - 40 * mm - 24 * mm - 2 * narrow) / 4
    table = Table(
        rows,
        colWidths=[40 * mm, 24 * mm, narrow, wide, wide, narrow, wide, wide],
        repeatRows=1,
    )
    table.setStyle(TableStyle(style))
    story += [table, Paragraph(recovery_table.FOOTNOTE, s["muted"]), PageBreak()]
    return story


def incidents_section(context: ReportContext, width: float) -> list:
    """Per application: incidents over the evidence window, downtime, data lost, and
    the ratings they contradict."""
    s = styles()
    rows = data.incident_rows(context.scope)
    window = window_words(settings.FMEA_EVIDENCE_WINDOW_DAYS)
    story: list = [
        heading("Incidents", "h1", "Incidents"),
        Paragraph(
            f"Incidents linked to each application's failure modes in {window}, each "
            "counted once; downtime is resolved − started over the resolved ones.",
            s["muted"],
        ),
    ]
    if not any(row.incidents or row.contradicted for row in rows):
        return [*story, Paragraph("No incidents in scope.", s["muted"]), Spacer(1, 6 * mm)]
    header = ("Application", "Incidents", "Downtime", "Data lost", "Contradicted ratings")
    table_rows = [[para(h, "head") for h in header]]
    for row in rows:
        table_rows.append(
            [
                para(row.application),
                para(f"{row.incidents:,}"),
                para(seconds_text(row.downtime_seconds)),
                para(seconds_text(row.data_lost_seconds)),
                para(f"{row.contradicted:,}"),
            ]
        )
    table = Table(
        table_rows, colWidths=[width - 140 * mm, 25 * mm, 35 * mm, 35 * mm, 45 * mm], repeatRows=1
    )
    table.setStyle(TableStyle(grid_style()))
    return [*story, table, Spacer(1, 6 * mm)]


def seconds_text(seconds: int) -> str:
    return duration_words(seconds) if seconds else "—"


def suppressions_section(context: ReportContext, width: float) -> list:
    """The findings set aside (not counted above), with each decision."""
    suppressions = data.suppressions(context.scope)
    if not suppressions:
        return []
    s = styles()
    rows = [[para(h, "head") for h in ("Finding", "Decision", "Why", "Until", "By")]]
    for suppression in suppressions:
        by = suppression.created_by.get_username() if suppression.created_by else "—"
        rows.append(
            [
                para(suppression.message),
                para(suppression.get_status_display()),
                para(suppression.reason),
                para(f"{suppression.expires_on:%Y-%m-%d}"),
                para(f"{by}, {suppression.created_at:%Y-%m-%d}"),
            ]
        )
    table = Table(
        rows,
        colWidths=[width - 165 * mm, 25 * mm, 80 * mm, 22 * mm, 38 * mm],
        repeatRows=1,
    )
    table.setStyle(TableStyle(grid_style()))
    return [
        Spacer(1, 6 * mm),
        heading("Findings set aside", "h2", "Findings set aside"),
        Paragraph(
            f"{len(suppressions)} finding{'s' if len(suppressions) != 1 else ''} accepted or "
            "not applicable until a date, left out of the counts above.",
            s["muted"],
        ),
        table,
    ]
