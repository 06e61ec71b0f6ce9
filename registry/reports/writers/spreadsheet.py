"""Workbooks written with XlsxWriter in constant-memory mode: each row goes to a scratch
file once the next one starts, so memory stays flat however many rows a report has, and
styles are made once per workbook, not once per cell.

Every text is written as a string cell: a plain text goes to `write_string`, which takes
it as it is, and for a styled one, which goes through `write`, the workbook's options turn
off XlsxWriter's reading of texts as formulas ("=..."), links and numbers; so a failure
mode named "=HYPERLINK(...)" is never a formula the spreadsheet would run.
"""

from __future__ import annotations

import datetime
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from registry.reports import palette

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Widths are in characters, as the spreadsheet stores them: XlsxWriter's set_column adds
# the cell padding, so they are given in pixels, 7 per character (a digit of Calibri 11).
PIXELS_PER_CHARACTER = 7
# Number formats of dates and times (openpyxl's, which the reports have always had).
DATETIME_FORMAT = "yyyy-mm-dd h:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"
NUMBER_FORMATS = {datetime.datetime: DATETIME_FORMAT, datetime.date: DATE_FORMAT}
OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


@dataclass(frozen=True)
class Style:
    fill: str | None = None  # "#rrggbb"
    ink: str | None = None
    bold: bool = False
    wrap: bool = False


BOLD = Style(bold=True)
HEADER = Style(fill=palette.HEADER, bold=True, wrap=True)


@dataclass(frozen=True)
class Styled:
    """A cell value with its style."""

    value: object
    style: Style


class Book:
    """The workbook and its formats, one per (style, number format)."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.workbook = workbook
        self._formats: dict[tuple[Style | None, str | None], Format] = {}

    def format(self, style: Style | None, number_format: str | None = None) -> Format | None:
        if style is None and number_format is None:
            return None
        key = (style, number_format)
        if key not in self._formats:
            properties: dict[str, object] = {}
            if number_format:
                properties["num_format"] = number_format
            if style is not None:
                if style.fill:
                    properties |= {"pattern": 1, "bg_color": style.fill}
                if style.ink:
                    properties["font_color"] = style.ink
                if style.bold:
                    properties["bold"] = True
                if style.wrap:
                    properties |= {"text_wrap": True, "valign": "top"}
            self._formats[key] = self.workbook.add_format(properties)
        return self._formats[key]

    def sheet(self, name: str, widths: Iterable[int] = ()) -> Sheet:
        return Sheet(self, name, widths)

    # Write handlers (XlsxWriter's hook for types of its own): a styled value, and dates
    # and times with their number format.
    def write_styled(self, worksheet: Worksheet, row: int, column: int, cell: Styled, *_):
        number_format = NUMBER_FORMATS.get(type(cell.value))
        return worksheet.write(row, column, cell.value, self.format(cell.style, number_format))

    def write_date(self, worksheet: Worksheet, row: int, column: int, value, cell_format=None):
        number_format = NUMBER_FORMATS[type(value)]
        return worksheet.write_datetime(
            row, column, value, cell_format or self.format(None, number_format)
        )


class Sheet:
    """A worksheet written a row at a time, top to bottom."""

    def __init__(self, book: Book, name: str, widths: Iterable[int]) -> None:
        self.worksheet = book.workbook.add_worksheet(name)
        self.row = 0
        self.worksheet.add_write_handler(Styled, book.write_styled)
        for kind in NUMBER_FORMATS:
            self.worksheet.add_write_handler(kind, book.write_date)
        for column, width in enumerate(widths):
            self.worksheet.set_column_pixels(column, column, width * PIXELS_PER_CHARACTER)
        # The cell's writer by the value's exact type: texts and numbers, nearly every
        # cell of a report, skip XlsxWriter's generic dispatch (`write` tries the write
        # handlers and a dozen types in turn); the rest (styled values, dates, booleans,
        # decimals) go through it.
        self._writers: dict[type, Callable[[int, int, Any], object]] = {
            str: self.worksheet.write_string,
            int: self.worksheet.write_number,
            float: self.worksheet.write_number,
        }

    def freeze_header(self) -> None:
        self.worksheet.freeze_panes(1, 0)

    def filter(self, rows: int, columns: int) -> None:
        """Filters on the header of a table of `rows` rows under it."""
        self.worksheet.autofilter(0, 0, rows, columns - 1)

    def header(self, names: Iterable[str]) -> None:
        self.append([Styled(name, HEADER) for name in names])

    def append(self, values: Sequence[object] = ()) -> None:
        """A row of values: None or "" leaves a cell empty; a text is a string cell."""
        row, writers, write = self.row, self._writers, self.worksheet.write
        for column, value in enumerate(values):
            if value is None or value == "":
                continue  # as `write` would: an empty cell without a style is not stored
            writers.get(value.__class__, write)(row, column, value)
        self.row += 1


@contextmanager
def workbook(out: BinaryIO) -> Iterator[Book]:
    """A workbook written to `out` when the block ends. The sheets' rows wait in a
    scratch folder, removed with them whether the block ends or fails."""
    with tempfile.TemporaryDirectory(prefix="xlsx-") as scratch:
        book = Book(xlsxwriter.Workbook(out, {**OPTIONS, "tmpdir": scratch}))
        yield book
        book.workbook.close()
