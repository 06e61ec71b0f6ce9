"""The columns a worksheet may have (`registry.columns`), and how headers are read.

Headers are matched loosely: case, spaces and punctuation do not matter, so
"Business function", "business_function" and "BUSINESS FUNCTION" are the same column,
and the XLSX report's headers ("Failure mode", "AP") read as the export's.
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.columns import (
    COLUMNS,
    IMPORT_INFORMATIVE,
    IMPORT_OPTIONAL,
    IMPORT_REQUIRED,
    header_key,
)

REQUIRED = IMPORT_REQUIRED
OPTIONAL = IMPORT_OPTIONAL
# Columns of the export and of the XLSX report that the register computes (or that
# summarise several rows): read and ignored.
INFORMATIVE = IMPORT_INFORMATIVE
# The XLSX report's headers read as their columns ("Failure mode" is mode, "AP" is
# action_priority), and so do other names for a row's one action.
ALIASES = {
    **{
        header_key(column.label): column.key
        for column in COLUMNS.values()
        if header_key(column.label) != column.key
    },
    "recommended_action": "action",
    "action_due_date": "action_due",
}
KNOWN = (*REQUIRED, *OPTIONAL, *INFORMATIVE)


def normalise(header) -> str:
    key = header_key(header)
    return ALIASES.get(key, key)


@dataclass(frozen=True)
class HeaderProblem:
    column: str
    message: str


def expected_text() -> str:
    return (
        f"Required columns: {', '.join(REQUIRED)}. Optional: {', '.join(OPTIONAL)}. "
        f"Read and ignored: {', '.join(INFORMATIVE)}."
    )


def read_header(cells: list) -> tuple[dict[str, int], list[HeaderProblem]]:
    """{column: index} of the known columns, and what is wrong with the header."""
    problems: list[HeaderProblem] = []
    columns: dict[str, int] = {}
    unknown = []
    for index, cell in enumerate(cells):
        key = normalise(cell)
        if not key:
            if cell not in (None, ""):
                unknown.append(str(cell))
            continue
        if key not in KNOWN:
            unknown.append(str(cell).strip())
        elif key in columns:
            problems.append(HeaderProblem(key, f"The column {key} appears twice."))
        else:
            columns[key] = index
    if unknown:
        problems.append(
            HeaderProblem(
                ", ".join(unknown),
                f"Unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
                + expected_text(),
            )
        )
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        problems.append(
            HeaderProblem(
                ", ".join(missing),
                f"Missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}. "
                "The first row must name the columns. " + expected_text(),
            )
        )
    return columns, problems
