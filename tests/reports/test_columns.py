"""The worksheet's columns are defined once (registry.columns): the export, the XLSX
and PDF reports and the import all read them from there, so a report's headers import
back as the export's columns."""

import pytest

from registry import columns
from registry.exports import COLUMNS as EXPORT_HEADER
from registry.imports.columns import KNOWN, normalise
from registry.reports.writers import xlsx


@pytest.mark.parametrize("key", columns.WORKSHEET)
def test_each_xlsx_header_imports_as_its_column(key):
    assert normalise(columns.COLUMNS[key].label) == key


def test_the_export_header_is_the_export_layout_and_every_column_imports():
    assert EXPORT_HEADER[:4] == ["id", "version", "business_function", "application"]
    assert [name for name in EXPORT_HEADER if name not in KNOWN] == []


def test_the_xlsx_worksheet_is_the_fmea_layout():
    """Each rating stands right after what it rates: effect → severity, cause →
    probability, detection controls → detectability; the id and version come last."""
    headers = [header for header, _, _ in xlsx.WORKSHEET_COLUMNS]
    for before, rating in (
        ("Effect", "Severity"),
        ("Prevention controls", "Probability"),
        ("Detection controls", "Detectability"),
    ):
        assert headers.index(rating) == headers.index(before) + 1
    assert headers[-2:] == ["ID", "Version"]


def test_the_import_reads_every_name_it_lists():
    listed = [*columns.IMPORT_REQUIRED, *columns.IMPORT_OPTIONAL, *columns.IMPORT_INFORMATIVE]
    assert sorted(set(listed)) == sorted(listed)  # each named once
    assert [name for name in listed if name not in columns.COLUMNS] == []
