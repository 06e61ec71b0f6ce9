"""Every kind of bad worksheet is refused with a clear message, and nothing is written."""

import io
import zipfile

import pytest

from registry.imports.columns import REQUIRED
from registry.imports.service import import_worksheet
from tests.factories import ApplicationFactory
from tests.imports.conftest import NOTHING, csv_bytes, register_counts, sample_rows, xlsx_bytes

HEADER = sample_rows()[0]


def with_cell(column: str, value, row: int = 1) -> list[list]:
    rows = sample_rows()
    rows[row][HEADER.index(column)] = value
    return rows


def refused(team, data: bytes) -> list[dict]:
    result = import_worksheet(team=team, user=None, data=data)
    assert not result.ok
    assert register_counts(team) == NOTHING
    return result.errors()


def only(errors: list[dict]) -> dict:
    assert len(errors) == 1, errors
    return errors[0]


def test_an_unknown_column_is_named_with_the_expected_ones(empty_team):
    rows = sample_rows()
    rows[0][HEADER.index("effect")] = "Impact"
    error = only(refused(empty_team, csv_bytes(rows)))
    assert (error["row"], error["column"]) == (1, "Impact")
    assert "Unknown column: Impact." in error["message"]
    assert "Required columns: business_function, application, tier" in error["message"]


def test_missing_columns_are_named(empty_team):
    rows = [
        [cell for index, cell in enumerate(row) if HEADER[index] != "severity"]
        for row in sample_rows()
    ]
    rows = [[cell for index, cell in enumerate(row) if index != 0] for row in rows]
    error = only(refused(empty_team, csv_bytes(rows)))
    assert "Missing columns: business_function, severity." in error["message"]
    assert ", ".join(REQUIRED) in error["message"]


def test_a_file_without_a_header_row_is_refused(empty_team):
    rows = sample_rows()[1:]
    errors = refused(empty_team, csv_bytes(rows))
    assert any("Unknown columns" in error["message"] for error in errors)
    assert any("Missing columns" in error["message"] for error in errors)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("11", "11 is outside the rating scale 1–10."),
        ("0", "0 is outside the rating scale 1–10."),
        ("5.5", "'5.5' is not a whole number."),
        ("high", "'high' is not a whole number."),
        ("", "Required: give the severity."),
    ],
)
def test_ratings_must_be_whole_numbers_from_1_to_10(empty_team, value, message):
    error = only(refused(empty_team, csv_bytes(with_cell("severity", value, row=3))))
    assert error == {"row": 4, "column": "severity", "message": message}


def test_every_bad_row_is_reported_at_once(empty_team):
    rows = with_cell("severity", "12", row=1)
    rows[2][HEADER.index("probability")] = "x"
    rows[4][HEADER.index("tier")] = "9"
    errors = refused(empty_team, csv_bytes(rows))
    assert [(e["row"], e["column"]) for e in errors] == [
        (2, "severity"),
        (3, "probability"),
        (5, "tier"),
    ]


def test_an_unknown_tier_is_refused(empty_team):
    error = only(refused(empty_team, csv_bytes(with_cell("tier", "7"))))
    assert error["column"] == "tier"
    assert error["message"] == "Unknown tier '7': the register has tiers 1, 2, 3, 4."


def test_an_unknown_status_is_refused(empty_team):
    error = only(refused(empty_team, csv_bytes(with_cell("status", "done"))))
    assert (error["row"], error["column"]) == (2, "status")
    assert (
        error["message"] == "Unknown status 'done': use one of accepted, closed, mitigating, open."
    )


def test_an_unknown_component_kind_and_a_bad_date_are_refused(empty_team):
    rows = with_cell("component_kind", "mainframe")
    rows[2][HEADER.index("action_due")] = "31/01/2027"
    errors = refused(empty_team, csv_bytes(rows))
    assert [(e["row"], e["column"]) for e in errors] == [(2, "component_kind"), (3, "action_due")]
    assert "write it as YYYY-MM-DD" in errors[1]["message"]


def test_duplicate_rows_are_refused(empty_team):
    rows = sample_rows()
    rows.append(list(rows[2]))
    error = only(refused(empty_team, csv_bytes(rows)))
    assert (error["row"], error["column"]) == (len(rows), "mode")
    assert error["message"].startswith("Duplicate of row 3:")


def test_a_failure_mode_already_in_the_register_is_refused(empty_team, sample_bytes):
    assert import_worksheet(team=empty_team, user=None, data=sample_bytes).ok
    before = register_counts(empty_team)
    result = import_worksheet(team=empty_team, user=None, data=sample_bytes)
    assert not result.ok
    assert len(result.problems) == 5
    assert "Already in the register as failure mode #" in result.problems[0].message
    assert register_counts(empty_team) == before


def test_an_application_has_one_tier(empty_team):
    from registry.models import Tier

    ApplicationFactory(team=empty_team, name="Order processing", tier=Tier.objects.get(level=2))
    result = import_worksheet(team=empty_team, user=None, data=csv_bytes(sample_rows()))
    assert not result.ok
    assert register_counts(empty_team)["failure_modes"] == 0
    errors = result.errors()
    assert errors[0]["column"] == "tier"
    assert "is tier 2 in the register; this row says tier 1" in errors[0]["message"]
    rows = with_cell("tier", "3", row=2)
    errors = import_worksheet(team=empty_team, user=None, data=csv_bytes(rows)).errors()
    assert any("is tier 1 in row 2; an application has one tier" in e["message"] for e in errors)


def test_a_formula_in_a_csv_cell_is_refused(empty_team):
    error = only(refused(empty_team, csv_bytes(with_cell("effect", '=HYPERLINK("http://x")'))))
    assert error["column"] == "effect"
    assert "like a spreadsheet formula" in error["message"]


def test_a_formula_in_an_xlsx_cell_is_refused(empty_team):
    rows = with_cell("severity", "=2*3")
    rows = [
        [int(cell) if isinstance(cell, str) and cell.isdigit() else cell for cell in row]
        for row in rows
    ]
    error = only(refused(empty_team, xlsx_bytes(rows)))
    assert (error["row"], error["column"]) == (2, "severity")
    assert "Holds the formula '=2*3' where a value is expected" in error["message"]


def test_a_csv_that_is_not_utf8_is_refused(empty_team):
    data = csv_bytes(with_cell("effect", "Café closes")).decode().encode("latin-1")
    error = only(refused(empty_team, data))
    assert error["row"] is None
    assert "neither an XLSX workbook nor UTF-8 text (byte 0xe9" in error["message"]


def test_a_binary_file_is_refused(empty_team):
    error = only(refused(empty_team, bytes(range(256)) * 4))
    assert "not UTF-8" in error["message"]


def test_an_old_xls_file_is_refused(empty_team):
    error = only(refused(empty_team, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500))
    assert "old Excel (XLS)" in error["message"]


def test_a_zip_that_is_not_a_workbook_is_refused(empty_team):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("worksheet.csv", "business_function,application\n")
    error = only(refused(empty_team, out.getvalue()))
    assert error["message"] == "The file is a zip archive, not an XLSX workbook."


def test_a_broken_xlsx_is_refused(empty_team):
    data = xlsx_bytes(sample_rows())
    error = only(refused(empty_team, data[: len(data) // 2]))
    assert "not a real XLSX workbook" in error["message"]


def zip_bomb(size: int) -> bytes:
    """A workbook-looking zip whose sheet inflates to `size` bytes of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * size)
    return out.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_unpacked(empty_team, settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 4 * 1024 * 1024
    error = only(refused(empty_team, zip_bomb(8 * 1024 * 1024)))
    assert "unpacks to 8.0 MB" in error["message"] and "zip bomb" in error["message"]


def test_a_highly_compressed_part_is_refused(empty_team):
    error = only(refused(empty_team, zip_bomb(3 * 1024 * 1024)))
    assert "compressed" in error["message"] and "zip bomb" in error["message"]


def test_a_file_over_the_size_limit_is_refused(empty_team, settings, sample_bytes):
    settings.IMPORT_MAX_BYTES = 500
    error = only(refused(empty_team, sample_bytes))
    assert error["message"].startswith(
        f"The file is {len(sample_bytes):,} bytes; the limit is 500 bytes."
    )


def test_too_many_rows_are_refused(empty_team, settings):
    settings.IMPORT_MAX_ROWS = 3
    error = only(refused(empty_team, csv_bytes(sample_rows())))
    assert "more than 3 rows" in error["message"]


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"business_function,application\n"])
def test_an_empty_file_is_refused(empty_team, data):
    message = only(refused(empty_team, data))["message"]
    assert "empty" in message or "no failure modes" in message or "Missing columns" in message


def test_text_too_long_for_the_register_is_refused(empty_team):
    error = only(refused(empty_team, csv_bytes(with_cell("application", "A" * 201))))
    assert error == {
        "row": 2,
        "column": "application",
        "message": "At most 200 characters; this has 201.",
    }
