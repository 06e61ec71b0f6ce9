"""Checking every row of a worksheet before anything is written.

Each problem names the spreadsheet row (the header is row 1), the column and what is
wrong. Rows are checked on their own first (ratings, vocabularies, lengths, formulas),
then against each other (duplicates, one tier per application) and against the
register (an existing application's tier, an existing failure mode).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from registry.choices import ComponentKind, FailureCategory, FailureModeStatus, Replication
from registry.columns import COLUMNS, RECOVERY_KEYS
from registry.exports import FORMULA_PREFIXES
from registry.imports.reading import Formula, Table
from registry.scoring import RATING_MAX, RATING_MIN

NAME_LENGTH = 200
MODE_LENGTH = 300


@dataclass(frozen=True)
class Problem:
    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                f"row {self.row}" if self.row is not None else "",
                f"column {self.column}" if self.column else "",
            )
            if part
        )
        return f"{where}: {self.message}" if where else self.message


@dataclass
class Row:
    """One checked row of the worksheet."""

    number: int
    business_function: str
    application: str
    tier: int
    step: str
    step_order: int | None
    component: str
    component_kind: str | None
    failure_category: str | None
    mode: str
    effect: str
    cause: str
    prevention_controls: str
    detection_controls: str
    severity: int
    probability: int
    detectability: int
    status: str
    revised: tuple[int, int, int] | None
    action: str
    action_owner: str
    action_due: datetime.date | None
    id: int | None = None  # the failure mode the row updates (none: a new one)
    version: int | None = None  # the version of it that the file was made from
    # The recovery inputs of its component and application, by column (those the file has).
    recovery: dict[str, object] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (
            self.application.casefold(),
            self.step.casefold(),
            self.component.casefold(),
            self.mode.casefold(),
        )


def vocabulary(choices) -> dict[str, str]:
    """Values and labels, case-insensitively, to values."""
    lookup = {}
    for value, label in choices:
        lookup[value.casefold()] = value
        lookup[str(label).casefold()] = value
        lookup[value.replace("_", " ").casefold()] = value
    return lookup


YES = {"yes", "y", "true", "t", "1"}
NO = {"no", "n", "false", "f", "0", ""}
STATUSES = vocabulary(FailureModeStatus.choices)
REPLICATIONS = vocabulary(Replication.choices)
CATEGORIES = vocabulary(FailureCategory.choices)
KINDS = vocabulary(ComponentKind.choices)


@dataclass
class RowReader:
    """Reads one row's cells by column name, collecting problems."""

    cells: list
    columns: dict[str, int]
    number: int
    csv: bool = True  # a CSV has no formula cells: a text starting with "=" is one
    problems: list[Problem] = field(default_factory=list)
    reported: set[str] = field(default_factory=set)

    def raw(self, column: str):
        index = self.columns.get(column)
        if index is None or index >= len(self.cells):
            return None
        value = self.cells[index]
        if isinstance(value, Formula):
            self.problem(
                column,
                f"Holds the formula {str(value)[:60]!r} where a value is expected: paste the "
                "values (Paste special → Values) and save again.",
            )
            return None
        return value

    def problem(self, column: str | None, message: str) -> None:
        # One problem per cell: a formula is not also reported as a missing value.
        if column in self.reported:
            return
        self.reported.add(column)
        self.problems.append(Problem(self.number, column, message))

    def text(self, column: str, *, required: bool = False, max_length: int | None = None) -> str:
        value = self.raw(column)
        if value is None:
            text = ""
        elif isinstance(value, datetime.datetime):
            text = value.date().isoformat() if value.time() == datetime.time() else str(value)
        elif isinstance(value, float) and value.is_integer():
            text = str(int(value))
        else:
            text = str(value)
        text = text.strip()
        if "\x00" in text:
            self.problem(column, "Contains a NUL character.")
            return ""
        if self.csv and text.startswith("="):
            self.problem(
                column,
                f"Starts with “=”, like a spreadsheet formula ({text[:60]!r}); the register "
                "does not import formulas. Put a quote (') before it to import it as text.",
            )
            return ""
        # Undo the export's neutralisation: a text exported as '=x (or '+x, '-x, '@x)
        # comes back as it was. A bare =x is refused above as a formula.
        if text.startswith("'") and text[1:2] in FORMULA_PREFIXES:
            text = text[1:]
        if required and not text:
            self.problem(column, f"Required: give the {column.replace('_', ' ')}.")
        if max_length is not None and len(text) > max_length:
            self.problem(column, f"At most {max_length} characters; this has {len(text)}.")
        return text

    def integer(self, column: str, *, required: bool = True) -> int | None:
        value = self.raw(column)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(column, f"Required: give the {column.replace('_', ' ')}.")
            return None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and value.strip().lstrip("+-").isdigit():
            number = int(value.strip())
        else:
            number = None
        if number is None:
            self.problem(column, f"{value!r} is not a whole number.")
        return number

    def rating(self, column: str, *, required: bool = True) -> int | None:
        number = self.integer(column, required=required)
        if number is not None and not RATING_MIN <= number <= RATING_MAX:
            self.problem(
                column, f"{number} is outside the rating scale {RATING_MIN}–{RATING_MAX}."
            )
            return None
        return number

    def choice(self, column: str, lookup: dict[str, str], default: str | None) -> str | None:
        text = self.text(column)
        if not text:
            return default
        value = lookup.get(text.casefold())
        if value is None:
            allowed = sorted(set(lookup.values()))
            self.problem(
                column,
                f"Unknown {column.replace('_', ' ')} {text!r}: use one of {', '.join(allowed)}.",
            )
        return value

    def boolean(self, column: str) -> bool:
        """Yes or no, as a spreadsheet, a CSV or PostgreSQL writes it; empty is no."""
        value = self.raw(column)
        if isinstance(value, bool):
            return value
        text = "" if value is None else str(value).strip().casefold()
        if text in YES or text in NO:
            return text in YES
        self.problem(column, f"{value!r} is not yes or no.")
        return False

    def codes(self, column: str) -> tuple[str, ...]:
        """Codes separated by spaces or commas, each once, in order."""
        return tuple(dict.fromkeys(self.text(column).replace(",", " ").split()))

    def date(self, column: str) -> datetime.date | None:
        value = self.raw(column)
        if value is None or value == "":
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        try:
            return datetime.date.fromisoformat(str(value).strip())
        except ValueError:
            self.problem(column, f"{value!r} is not a date: write it as YYYY-MM-DD.")
            return None


def tier_level(reader: RowReader, tiers: dict[int, str]) -> int | None:
    """A tier by level: 1, "1", "Tier 1", or the tier's name."""
    value = reader.raw("tier")
    names = {name.casefold(): level for level, name in tiers.items()}
    text = "" if value is None else str(value).strip()
    level = None
    if isinstance(value, bool):
        level = None
    elif isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        level = int(value)
    elif text.casefold() in names:
        level = names[text.casefold()]
    else:
        digits = text.casefold().removeprefix("tier").strip()
        level = int(digits) if digits.isdigit() else None
    if not text:
        reader.problem("tier", "Required: give the tier's level, e.g. 1.")
        return None
    if level not in tiers:
        known = ", ".join(str(level) for level in sorted(tiers))
        reader.problem("tier", f"Unknown tier {text!r}: the register has tiers {known}.")
        return None
    return level


def read_row(
    cells: list, columns: dict[str, int], number: int, tiers, csv: bool = True
) -> tuple[Row | None, list]:
    reader = RowReader(cells, columns, number, csv=csv)
    text = reader.text
    values = {
        "business_function": text("business_function", required=True, max_length=NAME_LENGTH),
        "application": text("application", required=True, max_length=NAME_LENGTH),
        "tier": tier_level(reader, tiers),
        "step": text("step", required=True, max_length=NAME_LENGTH),
        "step_order": reader.integer("step_order", required=False),
        "component": text("component", max_length=NAME_LENGTH),
        "component_kind": reader.choice("component_kind", KINDS, None),
        "failure_category": reader.choice("failure_category", CATEGORIES, None),
        "mode": text("mode", required=True, max_length=MODE_LENGTH),
        "effect": text("effect"),
        "cause": text("cause"),
        "prevention_controls": text("prevention_controls"),
        "detection_controls": text("detection_controls"),
        "severity": reader.rating("severity"),
        "probability": reader.rating("probability"),
        "detectability": reader.rating("detectability"),
        "status": reader.choice("status", STATUSES, FailureModeStatus.OPEN),
        "action": text("action"),
        "action_owner": text("action_owner", max_length=NAME_LENGTH),
        "action_due": reader.date("action_due"),
    }
    values["id"] = reader.integer("id", required=False)
    values["version"] = reader.integer("version", required=False)
    if values["id"] is not None and values["version"] is None:
        reader.problem(
            "version",
            "Give the version of the failure mode this row updates (the export's version "
            "column), so that a change made since the export is not overwritten.",
        )
    if values["step_order"] is not None and not 1 <= values["step_order"] <= 32767:
        reader.problem("step_order", "The step order runs from 1 to 32767.")
    revised = [
        reader.rating(name, required=False)
        for name in ("revised_severity", "revised_probability", "revised_detectability")
    ]
    if any(value is not None for value in revised) and any(value is None for value in revised):
        reader.problem("revised_severity", "Give all three revised ratings, or none.")
    values["revised"] = tuple(revised) if all(v is not None for v in revised) else None
    if not values["action"] and (values["action_owner"] or values["action_due"]):
        reader.problem("action", "An action owner or due date needs the action itself.")
    values["recovery"] = recovery_inputs(reader)
    if reader.problems:
        return None, reader.problems
    return Row(number=number, **values), []


def recovery_inputs(reader: RowReader) -> dict[str, object]:
    """The recovery columns the file has, read as the model's fields hold them; the
    models' own rules check the values (registry.imports.recovery)."""
    values: dict[str, object] = {}
    for column in RECOVERY_KEYS:
        if column not in reader.columns:
            continue
        if COLUMNS[column].regions:
            values[column] = reader.codes(column)
        elif column == "component_replication":
            values[column] = reader.choice(column, REPLICATIONS, Replication.NONE)
        elif column == "component_point_in_time_recovery":
            values[column] = reader.boolean(column)
        else:
            values[column] = reader.integer(column, required=False)
    return values


def read_rows(
    table: Table,
    columns: dict[str, int],
    tiers: dict[int, str],
    progress: Callable[[int], None] | None = None,
) -> tuple[list[Row], list[Problem]]:
    """Every row checked on its own and against the others."""
    rows: list[Row] = []
    problems: list[Problem] = []
    first_by_key: dict[tuple, int] = {}
    first_by_id: dict[int, int] = {}
    applications: dict[str, tuple[int, int, str]] = {}  # name → (row, tier, function)
    for index, cells in enumerate(table.rows):
        number = index + 2
        if progress is not None and index % 1000 == 0:
            progress(index)
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells):
            continue  # a blank line between rows
        row, row_problems = read_row(cells, columns, number, tiers, csv=table.format == "csv")
        problems += row_problems
        if row is None:
            continue
        if row.key in first_by_key:
            problems.append(
                Problem(
                    number,
                    "mode",
                    f"Duplicate of row {first_by_key[row.key]}: the same application, step, "
                    "component and failure mode.",
                )
            )
            continue
        if row.id is not None and row.id in first_by_id:
            problems.append(
                Problem(
                    number,
                    "id",
                    f"Row {first_by_id[row.id]} updates failure mode #{row.id} too; "
                    "a failure mode has one row.",
                )
            )
            continue
        first_by_key[row.key] = number
        if row.id is not None:
            first_by_id[row.id] = number
        seen = applications.setdefault(
            row.application.casefold(), (number, row.tier, row.business_function)
        )
        if seen[1] != row.tier:
            problems.append(
                Problem(
                    number,
                    "tier",
                    f"Application {row.application!r} is tier {seen[1]} in row {seen[0]}; "
                    "an application has one tier.",
                )
            )
        elif seen[2].casefold() != row.business_function.casefold():
            problems.append(
                Problem(
                    number,
                    "business_function",
                    f"Application {row.application!r} delivers {seen[2]!r} in row {seen[0]}; "
                    "an application has one business function.",
                )
            )
        rows.append(row)
    if progress is not None:
        progress(len(table.rows))
    return rows, problems
