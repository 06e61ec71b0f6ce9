"""The PDF's worksheet: a heading per application and per step, one table per step.

The worksheet is most of a large report, so its tables hold plain strings, wrapped here
with widths cached per word: ReportLab draws those line by line, far faster than it
lays out a Paragraph per cell.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import CondPageBreak, Paragraph, Table, TableStyle

from registry.choices import FailureModeStatus
from registry.columns import COLUMNS
from registry.reports import data, palette
from registry.reports.context import ReportContext
from registry.reports.writers.pdf.document import RowsDone, heading
from registry.reports.writers.pdf.theme import (
    AP_COLOURS,
    INK,
    ZEBRA,
    arrow,
    fonts,
    grid_style,
    styles,
)

STATUSES = dict(FailureModeStatus.choices)


CELL_SIZE = 7
CELL_LEADING = 8.6
CELL_PADDING = 3

# (header, relative width); the widths are scaled to the page. The headers are the
# worksheet's (`registry.columns`), the controls sharing one column, the ratings short.
WORKSHEET_COLUMNS = [
    (COLUMNS["component"].heading, 70),
    (COLUMNS["mode"].heading, 110),
    (COLUMNS["effect"].heading, 100),
    (COLUMNS["cause"].heading, 95),
    ("Controls: prevention / detection", 120),
    (COLUMNS["severity"].heading, 18),
    (COLUMNS["probability"].heading, 18),
    (COLUMNS["detectability"].heading, 18),
    (COLUMNS["rpn"].heading, 26),
    (COLUMNS["action_priority"].heading, 20),
    (COLUMNS["status"].heading, 44),
    (COLUMNS["actions"].heading, 131),
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


def tables(context: ReportContext, width: float) -> tuple[list, int]:
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
    headings: list[Paragraph] = []  # waiting for their step's table
    count = 0

    def flush() -> None:
        if cells:
            table = step_table(header, cells, priorities, widths)
            # A heading goes to the next page unless its table's header and first row
            # fit below it: a row can be much taller than a fixed allowance.
            first = step_table(header, cells[:1], priorities[:1], widths)
            needed = first.wrap(width, 10**6)[1] + sum(
                h.wrap(width, 10**6)[1] + h.style.spaceBefore + h.style.spaceAfter
                for h in headings
            )
            story.append(CondPageBreak(needed))
            story.extend(headings)
            story.append(table)
            story.append(RowsDone(len(cells)))
            cells.clear()
            priorities.clear()
            headings.clear()

    for row in data.worksheet_rows(context.failure_modes()):
        if row["application_id"] != application:
            flush()
            application = row["application_id"]
            function = f" · {row['business_function']}" if row["business_function"] else ""
            headings.append(
                heading(
                    f"{escape(row['application'])} <font color='{palette.MUTED}' size='9'>"
                    f"Tier {row['tier']}{escape(function)}</font>",
                    "app",
                    f"Worksheet · {row['application']}",
                )
            )
            step = None
        if row["step_id"] != step:
            flush()
            step = row["step_id"]
            headings.append(
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
        if row["revised_worse"]:
            revised += " worse"
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
