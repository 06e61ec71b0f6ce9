"""Failure modes as CSV, streamed with flat memory whatever the row count.

On PostgreSQL the rows come from `COPY (query) TO STDOUT`, so the database writes the
CSV; elsewhere a server-side iterator feeds Python's csv writer. Both run the same
query, built from the ORM, so filters and scoping are the list's own.
"""

import csv
from collections.abc import Iterator

from django.db import connection
from django.db.models import Case, Expression, F, QuerySet, TextField, Value, When
from django.db.models.functions import Concat, Substr
from django.db.models.lookups import In

from registry import columns as worksheet
from registry.models.components import region_codes

# Spreadsheets run cells that start with these as formulas (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# The export's columns in order (`registry.columns`): free text is neutralised, other
# columns read as they are, from the failure mode or a related row.
COLUMNS = list(worksheet.EXPORT)
_COLUMNS = [worksheet.COLUMNS[key] for key in COLUMNS]
TEXT_COLUMNS = {column.key: column.source for column in _COLUMNS if column.text}
PLAIN_COLUMNS = {
    column.key: column.source
    for column in _COLUMNS
    if not column.text and not column.regions and column.source != column.key
}


def recovery_values() -> dict[str, Expression]:
    """The recovery inputs of each failure mode's component and application, by column
    (region sets as their codes joined by spaces): the CSV and the XLSX report alike."""
    return {
        key: (
            region_codes(path.removeprefix("component__"))
            if worksheet.COLUMNS[key].regions
            else F(path)
        )
        for key, _, path in worksheet.RECOVERY_COLUMNS
    }


def neutralised(path: str) -> Expression:
    """The text at `path`, prefixed with a quote when a spreadsheet would run it."""
    return Case(
        When(
            In(Substr(path, 1, 1), FORMULA_PREFIXES),
            then=Concat(Value("'"), F(path), output_field=TextField()),
        ),
        default=F(path),
        output_field=TextField(),
    )


def export_rows(queryset: QuerySet) -> QuerySet:
    """The export columns of `queryset`'s failure modes, in column order."""
    expressions = {
        **{name: neutralised(path) for name, path in TEXT_COLUMNS.items()},
        **{name: F(path) for name, path in PLAIN_COLUMNS.items()},
        **recovery_values(),
    }
    renamed = {name: f"export_{name}" for name in expressions}
    rows = queryset.annotate(**{renamed[name]: expr for name, expr in expressions.items()})
    return rows.values_list(*(renamed.get(name, name) for name in COLUMNS))


def stream_csv(queryset: QuerySet, chunk_rows: int = 2000) -> Iterator[bytes]:
    """The CSV (header first) of the failure modes in `queryset`, in chunks."""
    rows = export_rows(queryset)
    if connection.vendor == "postgresql":
        yield from _copy_csv(rows)
    else:
        yield from _iterate_csv(rows, chunk_rows)


class _Line:
    """A file-like object whose write() hands the CSV line back."""

    def write(self, value: str) -> str:
        return value


def _iterate_csv(rows: QuerySet, chunk_rows: int) -> Iterator[bytes]:
    writer = csv.writer(_Line(), lineterminator="\n")
    yield writer.writerow(COLUMNS).encode()
    buffer: list[str] = []
    for row in rows.iterator(chunk_size=chunk_rows):
        buffer.append(writer.writerow("" if value is None else value for value in row))
        if len(buffer) >= chunk_rows:
            yield "".join(buffer).encode()
            buffer.clear()
    if buffer:
        yield "".join(buffer).encode()


def _copy_csv(rows: QuerySet) -> Iterator[bytes]:
    sql, params = rows.query.sql_with_params()
    header = ",".join(COLUMNS) + "\n"
    yield header.encode()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy,
    ):
        for chunk in copy:
            yield bytes(chunk)
