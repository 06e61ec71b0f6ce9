"""The columns a worksheet may have, and how headers are read.

Headers are matched loosely: case, spaces and punctuation do not matter, so
"Business function", "business_function" and "BUSINESS FUNCTION" are the same column,
and the XLSX report's headers ("Failure mode", "AP") read as the export's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

REQUIRED = (
    "business_function",
    "application",
    "tier",
    "step",
    "mode",
    "severity",
    "probability",
    "detectability",
)
OPTIONAL = (
    "step_order",
    "component",
    "component_kind",
    "failure_category",
    "effect",
    "cause",
    "prevention_controls",
    "detection_controls",
    "status",
    "revised_severity",
    "revised_probability",
    "revised_detectability",
    "action",
    "action_owner",
    "action_due",
)
# Columns of the export and of the XLSX report that the register computes (or that
# summarise several rows): read and ignored.
INFORMATIVE = ("id", "rpn", "action_priority", "revised_rpn", "revised_action_priority", "actions")
ALIASES = {
    "failure_mode": "mode",
    "ap": "action_priority",
    "revised_ap": "revised_action_priority",
    "recommended_action": "action",
    "action_due_date": "action_due",
}
KNOWN = (*REQUIRED, *OPTIONAL, *INFORMATIVE)


def normalise(header) -> str:
    text = "" if header is None else str(header)
    key = re.sub(r"[^0-9a-z]+", "_", text.strip().lower()).strip("_")
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
