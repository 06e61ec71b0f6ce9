"""Figures the benchmarks measured, gathered for the one table `make bench` prints.

Each benchmark prints its own lines as it goes and records its headline figures here:
what was measured, the figure, the baseline measured in the same run (if any) and the
target. `python -m bench` prints them all as one table at the end.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    bench: str
    measure: str
    value: float
    unit: str
    baseline: float | None = None
    target: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.baseline:
            return None
        return self.value / self.baseline


FIGURES: list[Figure] = []


def record(
    bench: str,
    measure: str,
    value: float,
    unit: str,
    *,
    baseline: float | None = None,
    target: str = "",
) -> None:
    FIGURES.append(Figure(bench, measure, value, unit, baseline, target))


def number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(figures: list[Figure] = FIGURES) -> str:
    """A plain-text table: one row per figure, ratio against its baseline where it has one."""
    header = ("bench", "measure", "figure", "baseline", "ratio", "target")
    rows = [
        (
            figure.bench,
            figure.measure,
            f"{number(figure.value)} {figure.unit}",
            f"{number(figure.baseline)} {figure.unit}" if figure.baseline else "",
            f"{figure.ratio:.2f}x" if figure.ratio is not None else "",
            figure.target,
        )
        for figure in figures
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, tuple("-" * width for width in widths), *rows]
    ]
    return "\n".join(lines)
