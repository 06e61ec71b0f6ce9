"""Turning an upload into rows of cells, or refusing it with a clear message.

The upload is judged by its bytes, never by its name: a zip that is a workbook is read
as XLSX, anything else must be UTF-8 text and is read as CSV. File names are never
used as paths.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

from django.conf import settings

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # XLS (Excel 97-2003) and other OLE files
WORKBOOK_PARTS = ("[Content_Types].xml", "xl/workbook.xml")
# Compression ratio above which one part of a workbook is taken for a zip bomb; real
# worksheets compress about 5-20 times.
MAX_RATIO = 200
PREFERRED_SHEET = "Worksheet"  # the XLSX report's sheet; otherwise the first one


class Refused(Exception):
    """The file as a whole cannot be imported; the message says why."""


class Formula(str):
    """A cell holding a spreadsheet formula, not a value."""


@dataclass
class Table:
    format: str  # "csv" or "xlsx"
    header: list
    rows: list[list]  # each row's cells; row i is spreadsheet row i + 2
    sheet: str | None = None


def megabytes(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size:,} bytes"
    return f"{size / 1024 / 1024:.1f} MB"


def check_size(size: int) -> None:
    if size > settings.IMPORT_MAX_BYTES:
        raise Refused(
            f"The file is {megabytes(size)}; the limit is "
            f"{megabytes(settings.IMPORT_MAX_BYTES)}. Split the worksheet into smaller files."
        )


def read_table(data: bytes) -> Table:
    check_size(len(data))
    if not data.strip():
        raise Refused("The file is empty: the first row must name the columns.")
    if data.startswith(ZIP_MAGIC):
        return read_xlsx(data)
    if data.startswith(OLE_MAGIC):
        raise Refused(
            "This is an old Excel (XLS) or other binary file. Save the worksheet as XLSX "
            "or as CSV UTF-8 and upload that."
        )
    return read_csv(data)


# --- CSV ------------------------------------------------------------------------------


def read_csv(data: bytes) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Refused(
            f"The file is neither an XLSX workbook nor UTF-8 text (byte 0x{data[exc.start]:02x} "
            f"at position {exc.start} is not UTF-8). Save it as CSV UTF-8 or as XLSX."
        ) from exc
    if "\x00" in text:
        raise Refused("The file contains NUL characters: it is not a text CSV file.")
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise Refused(f"The CSV cannot be read: {exc}.") from exc
    rows = strip_trailing_blank(rows)
    check_row_count(len(rows) - 1)
    return Table(format="csv", header=rows[0], rows=rows[1:])


# --- XLSX -----------------------------------------------------------------------------


def check_zip(data: bytes) -> None:
    """Refuse what is not a workbook, and zip bombs, before anything is unpacked.

    zipfile itself never inflates a part beyond the size its directory declares, so
    checking the declared sizes bounds what opening the workbook can cost.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Refused("The file looks like a zip file but is not a real XLSX workbook.") from exc
    with archive:
        members = archive.infolist()
        names = {member.filename for member in members}
        if not all(part in names for part in WORKBOOK_PARTS):
            raise Refused("The file is a zip archive, not an XLSX workbook.")
        total = sum(member.file_size for member in members)
        if total > settings.IMPORT_MAX_UNCOMPRESSED_BYTES:
            raise Refused(
                f"The workbook unpacks to {megabytes(total)}, more than the limit of "
                f"{megabytes(settings.IMPORT_MAX_UNCOMPRESSED_BYTES)}; it is refused as a "
                "possible zip bomb."
            )
        for member in members:
            ratio = member.file_size // max(member.compress_size, 1)
            if member.file_size > 1024 * 1024 and ratio > MAX_RATIO:
                raise Refused(
                    f"A part of the workbook is compressed {ratio} times; it is refused as "
                    "a possible zip bomb."
                )


def read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    check_zip(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise Refused(f"The file is not a readable XLSX workbook ({type(exc).__name__}).") from exc
    try:
        names = workbook.sheetnames
        if not names:
            raise Refused("The workbook has no sheets.")
        name = PREFERRED_SHEET if PREFERRED_SHEET in names else names[0]
        sheet = workbook[name]
        rows = []
        limit = settings.IMPORT_MAX_ROWS + 2
        for cells in sheet.iter_rows():
            rows.append([cell_value(cell) for cell in cells])
            if len(rows) > limit:
                break
    finally:
        workbook.close()
    rows = strip_trailing_blank(rows)
    check_row_count(len(rows) - 1)
    width = len(rows[0])
    return Table(
        format="xlsx",
        header=rows[0],
        rows=[row[:width] + [None] * (width - len(row)) for row in rows[1:]],
        sheet=name,
    )


def cell_value(cell):
    if getattr(cell, "data_type", None) == "f":
        return Formula(str(cell.value))
    value = cell.value
    if value.__class__.__name__ in ("ArrayFormula", "DataTableFormula"):
        return Formula(getattr(value, "text", "") or "=")
    return value


# --- both -----------------------------------------------------------------------------


def is_blank(row: list) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in row)


def strip_trailing_blank(rows: list[list]) -> list[list]:
    while rows and is_blank(rows[-1]):
        rows.pop()
    if not rows:
        raise Refused("The file is empty: the first row must name the columns.")
    return rows


def check_row_count(count: int) -> None:
    if count > settings.IMPORT_MAX_ROWS:
        raise Refused(
            f"The worksheet has more than {settings.IMPORT_MAX_ROWS:,} rows, the most one "
            "import takes. Split it into smaller files."
        )
    if count < 1:
        raise Refused("The worksheet has a header row but no failure modes below it.")
