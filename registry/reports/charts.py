"""Charts drawn as SVG on the server: pure functions of plain data returning SVG text.

No database access and no request: the web pages and the PDF reports call the same
functions. Styling is in presentation attributes (not CSS) so that an SVG-to-PDF
converter renders them the same way. Every value is also written as text (cell counts,
axis labels, <title> tooltips): colour is never the only signal.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from html import escape

from registry.reports.palette import (
    BAR,
    HEAT_COLOURS,
    HEAT_DARK_FROM,
    INK,
    LINE,
    MUTED,
    REVISED,
    SOFT,
    TREND,
    WHITE,
)

FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"'


def _attrs(**values: object) -> str:
    return " ".join(
        f'{name.rstrip("_").replace("_", "-")}="{escape(str(value))}"'
        for name, value in values.items()
    )


def _svg(width: int, height: int, label: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}" '
        f'class="chart" {FONT}><title>{escape(label)}</title>' + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, content: str, **attrs: object) -> str:
    defaults = {"font_size": 12, "fill": INK}
    return f'<text x="{x:.1f}" y="{y:.1f}" {_attrs(**(defaults | attrs))}>{escape(content)}</text>'


def heat_colour(count: int, highest: int) -> tuple[str, str]:
    """(fill, text colour) of a heat-map cell holding `count` of at most `highest`."""
    if count <= 0 or highest <= 0:
        return SOFT, MUTED
    steps = len(HEAT_COLOURS)
    # A few failure modes in a cell are not "the most" just because no cell has more.
    index = min(steps - 1, math.ceil(count / max(highest, steps) * steps) - 1)
    return HEAT_COLOURS[index], WHITE if index >= HEAT_DARK_FROM else INK


def heat_map(
    counts: Mapping[tuple[int, int], int],
    *,
    href: Callable[[int, int], str] | None = None,
    size: int = 10,
    cell: int = 36,
    rows: str = "Severity",
    columns: str = "Probability",
) -> str:
    """`rows` (highest at the top) × `columns` grid of counts: severity × probability
    unless other ratings are named.

    `counts` maps (row rating, column rating) to a number of failure modes. With `href`,
    every non-empty cell links to `href(row rating, column rating)`.
    """
    left, top, bottom = 58, 10, 52
    width = left + size * cell + 10
    height = top + size * cell + bottom
    highest = max(counts.values(), default=0)
    body = []
    for severity in range(size, 0, -1):
        y = top + (size - severity) * cell
        body.append(_text(left - 8, y + cell / 2 + 4, str(severity), text_anchor="end"))
        for probability in range(1, size + 1):
            x = left + (probability - 1) * cell
            count = counts.get((severity, probability), 0)
            fill, ink = heat_colour(count, highest)
            noun = "failure mode" if count == 1 else "failure modes"
            label = f"{rows} {severity}, {columns.lower()} {probability}: {count} {noun}"
            rect = (
                f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" '
                f'fill="{fill}" stroke="{WHITE}" stroke-width="2"><title>{escape(label)}'
                "</title></rect>"
            )
            text = (
                _text(
                    x + cell / 2,
                    y + cell / 2 + 5,
                    str(count),
                    text_anchor="middle",
                    font_size=14,
                    font_weight="600",
                    fill=ink,
                )
                if count
                else ""
            )
            if count and href is not None:
                body.append(
                    f'<a href="{escape(href(severity, probability))}" '
                    f'aria-label="{escape(label)}">{rect}{text}</a>'
                )
            else:
                body.append(rect + text)
    axis_y = top + size * cell
    for probability in range(1, size + 1):
        x = left + (probability - 1) * cell + cell / 2
        body.append(_text(x, axis_y + 18, str(probability), text_anchor="middle"))
    body.append(
        _text(
            left + size * cell / 2,
            axis_y + 42,
            f"{columns} →",
            text_anchor="middle",
            font_size=13,
            fill=MUTED,
        )
    )
    middle = top + size * cell / 2
    body.append(
        f'<text x="16" y="{middle:.1f}" {_attrs(font_size=13, fill=MUTED, text_anchor="middle")}'
        f' transform="rotate(-90 16 {middle:.1f})">{escape(rows)} →</text>'
    )
    total = sum(counts.values())
    return _svg(
        width,
        height,
        f"Heat map of {total} failure modes by {rows.lower()} and {columns.lower()}",
        body,
    )


def nice_step(value: float) -> float:
    """The round number (1, 2 or 5 × a power of ten) at or above `value`."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if value <= step * power)


def axis_ticks(highest: float, intervals: int = 4) -> list[int]:
    """Whole-number ticks from 0 to a round maximum at or above `highest`."""
    step = max(1, int(nice_step(highest / intervals)))
    top = max(step, math.ceil(highest / step) * step)
    return list(range(0, top + 1, step))


def pareto(
    items: Sequence[tuple[str, int, float]],
    *,
    href: Callable[[int], str] | None = None,
    width: int = 760,
    named: bool = True,
    label_chars: int = 22,
) -> str:
    """Bars of RPN, highest first, with the cumulative share of the total as a line.

    `items` are (label, rpn, cumulative share in percent) in descending RPN order; each
    bar is named below it (numbered, cut to `label_chars` with the whole label as its
    tooltip), or only numbered when not `named` (a legend beside the chart names them);
    `href(index)` (0-based) may link each bar.
    """
    left, right, top, bottom = 48, 48, 16, 160 if named else 40
    height = 420 if named else 300
    plot_w, plot_h = width - left - right, height - top - bottom
    body = []
    ticks = axis_ticks(max((rpn for _, rpn, _ in items), default=0))
    highest = ticks[-1]
    for tick in ticks:
        y = top + plot_h * (1 - tick / highest)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
            f'stroke="{LINE}" stroke-width="1"/>'
        )
        body.append(_text(left - 6, y + 4, str(tick), text_anchor="end", font_size=11, fill=MUTED))
    for share in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - share / 100)
        body.append(_text(left + plot_w + 6, y + 4, f"{share}%", font_size=11, fill=TREND))
    y80 = top + plot_h * 0.2
    body.append(
        f'<line x1="{left}" y1="{y80:.1f}" x2="{left + plot_w}" y2="{y80:.1f}" '
        f'stroke="{TREND}" stroke-width="1" stroke-dasharray="4 4" opacity="0.6"/>'
    )
    slot = plot_w / max(len(items), 1)
    points = []
    for index, (label, rpn, share) in enumerate(items):
        bar_h = plot_h * rpn / highest
        x = left + index * slot + slot * 0.15
        tooltip = f"{index + 1}. {label}: RPN {rpn}, cumulative share {share:.0f}%"
        bar = (
            f'<rect x="{x:.1f}" y="{top + plot_h - bar_h:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{bar_h:.1f}" fill="{BAR}"><title>{escape(tooltip)}</title></rect>'
        )
        body.append(
            f'<a href="{escape(href(index))}" aria-label="{escape(tooltip)}">{bar}</a>'
            if href is not None
            else bar
        )
        centre = left + index * slot + slot / 2
        if named:
            name = f"{index + 1}. {label}"
            short = name if len(name) <= label_chars else name[: label_chars - 1].rstrip() + "…"
            y = top + plot_h + 12
            body.append(
                f'<text x="{centre + 4:.1f}" y="{y:.1f}" '
                f"{_attrs(font_size=11, fill=INK, text_anchor='end')} "
                f'transform="rotate(-50 {centre + 4:.1f} {y:.1f})">{escape(short)}'
                f"<title>{escape(name)}</title></text>"
            )
        else:
            body.append(
                _text(
                    centre,
                    top + plot_h + 16,
                    str(index + 1),
                    text_anchor="middle",
                    font_size=11,
                    fill=MUTED,
                )
            )
        points.append((centre, top + plot_h * (1 - share / 100)))
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{TREND}" stroke-width="2"/>')
        body.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{TREND}"/>' for x, y in points)
    body.append(
        _text(
            left,
            height - 6,
            "Bars: RPN (left axis). Line: cumulative share of "
            "total RPN (right axis); dashed: 80%.",
            font_size=11,
            fill=MUTED,
        )
    )
    return _svg(width, height, f"Pareto chart of the top {len(items)} failure modes by RPN", body)


def step_line(
    points: Sequence[tuple[datetime, int | None, int | None]],
    *,
    end: datetime | None = None,
    threshold: int | None = None,
    width: int = 520,
    height: int = 170,
) -> str:
    """RPN (and revised RPN) over time as step lines: a value holds until it changes.

    `points` are (when, rpn, revised rpn or None) in time order; `end` (e.g. now)
    extends the last value to the right edge; `threshold` draws a dashed line.
    """
    left, right, top, bottom = 40, 12, 12, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    body = []
    if not points:
        body.append(
            _text(width / 2, height / 2, "No history yet", text_anchor="middle", fill=MUTED)
        )
        return _svg(width, height, "RPN over time: no history yet", body)
    last_day = (end or points[-1][0]).date()
    if points[0][0].date() == last_day:
        # An axis from a day to the same day says nothing: say what there is instead.
        message = f"No trend yet: RPN {points[-1][1]} since {last_day:%Y-%m-%d}"
        body.append(_text(width / 2, height / 2 - 8, message, text_anchor="middle", fill=MUTED))
        body.append(
            _text(
                width / 2,
                height / 2 + 12,
                "The chart appears once the ratings span more than one day.",
                text_anchor="middle",
                font_size=11,
                fill=MUTED,
            )
        )
        return _svg(width, height, f"RPN over time: {message}", body)
    values = [v for _, rpn, revised in points for v in (rpn, revised) if v is not None]
    ticks = axis_ticks(max([*values, threshold or 0]), intervals=2)
    highest = ticks[-1]
    start = points[0][0].timestamp()
    finish = max((end or points[-1][0]).timestamp(), points[-1][0].timestamp())
    span = max(finish - start, 1.0)

    def x_of(moment: datetime) -> float:
        return left + plot_w * (moment.timestamp() - start) / span

    def y_of(value: float) -> float:
        return top + plot_h * (1 - value / highest)

    for tick in ticks:
        y = y_of(tick)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
            f'stroke="{LINE}" stroke-width="1"/>'
        )
        body.append(_text(left - 6, y + 4, str(tick), text_anchor="end", font_size=11, fill=MUTED))
    if threshold is not None:
        y = y_of(threshold)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
            f'stroke="{MUTED}" stroke-dasharray="4 3" stroke-width="1"/>'
        )
        body.append(
            _text(
                left + plot_w,
                y - 4,
                f"threshold {threshold}",
                text_anchor="end",
                font_size=11,
                fill=MUTED,
            )
        )
    for column, colour, dash in ((1, TREND, ""), (2, REVISED, ' stroke-dasharray="6 3"')):
        series = [(row[0], row[column]) for row in points]
        path = _step_path(
            series, x_of(points[-1][0]) if end is None else left + plot_w, x_of, y_of
        )
        if path:
            body.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        for moment, value in series:
            if value is not None:
                tip = f"{moment:%Y-%m-%d %H:%M}: {'RPN' if column == 1 else 'revised RPN'} {value}"
                body.append(
                    f'<circle cx="{x_of(moment):.1f}" cy="{y_of(value):.1f}" r="3" '
                    f'fill="{colour}"><title>{escape(tip)}</title></circle>'
                )
    axis_y = top + plot_h + 16
    body.append(_text(left, axis_y, f"{points[0][0]:%Y-%m-%d}", font_size=11, fill=MUTED))
    body.append(
        _text(
            left + plot_w,
            axis_y,
            f"{(end or points[-1][0]):%Y-%m-%d}",
            text_anchor="end",
            font_size=11,
            fill=MUTED,
        )
    )
    body.append(
        _text(left, height - 6, "Solid: RPN. Dashed green: revised RPN.", font_size=11, fill=MUTED)
    )
    latest = points[-1][1]
    return _svg(width, height, f"RPN over time, {len(points)} changes, now {latest}", body)


def _step_path(series, x_end, x_of, y_of) -> str:
    """SVG path data of a step line; gaps where the value is None."""
    parts: list[str] = []
    previous = None
    for index, (moment, value) in enumerate(series):
        x = x_of(moment)
        if value is None:
            if previous is not None:
                parts.append(f"H{x:.1f}")
            previous = None
            continue
        y = y_of(value)
        if previous is None:
            parts.append(f"M{x:.1f},{y:.1f}")
        else:
            parts.append(f"H{x:.1f}V{y:.1f}")
        previous = value
        following = series[index + 1][0] if index + 1 < len(series) else None
        if following is None:
            parts.append(f"H{x_end:.1f}")
    return "".join(parts)
