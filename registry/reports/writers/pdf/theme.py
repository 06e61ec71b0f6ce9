"""The PDF's look: page size and margins, fonts, paragraph styles, colours (from
`reports.palette`) and the table grid."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from django.conf import settings
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, LETTER, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph
from svglib.fonts import register_font

from registry.choices import FindingSeverity
from registry.reports import charts, palette

# Page streams are compressed; ASCII85 on top only makes the file larger and slower.
rl_config.useA85 = 0
MARGIN = 12 * mm

INK = colors.HexColor(palette.INK)
MUTED = colors.HexColor(palette.MUTED)
LINE = colors.HexColor(palette.LINE)
HEADER_BG = colors.HexColor(palette.HEADER)
ZEBRA = colors.HexColor(palette.SOFT)
AP_COLOURS = {
    priority: (colors.HexColor(fill), colors.HexColor(ink))
    for priority, (fill, ink) in palette.ACTION_PRIORITY.items()
}
RECOVERY_COLOURS = {
    meets: colors.HexColor(fill) for meets, (fill, _ink) in palette.RECOVERY.items()
}
SEVERITY_COLOURS = {
    severity: colors.HexColor(ink) for severity, ink in palette.FINDING_SEVERITY_TEXT.items()
}
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


def severity_para(severity: str) -> Paragraph:
    colour = SEVERITY_COLOURS.get(severity, INK).hexval()[2:]
    label = FindingSeverity(severity).label
    return Paragraph(f'<font color="#{colour}"><b>{label}</b></font>', styles()["cell"])


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
