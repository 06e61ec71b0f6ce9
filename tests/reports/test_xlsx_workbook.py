"""The XLSX report's workbook as a spreadsheet opens it: its sheets, a frozen and
filtered header, texts that look like formulas kept as text, numbers and dates typed as
such (team A: one application, one step, two failure modes)."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from registry.analysis import rollups
from tests.factories import ActionFactory, FailureModeFactory
from tests.reports.conftest import read

pytestmark = pytest.mark.django_db

SHEETS = ["Worksheet", "Summary", "Findings", "Recovery", "Set aside", "Incidents"]
FORMULA = '=HYPERLINK("http://attacker.example/","Click")'


@pytest.fixture
def workbook(make_run, register_a, team_a, alice):
    """Team A's report, with a second failure mode named like a formula, without
    controls or cause, and with two actions, and the findings computed."""
    _, step, _, _ = register_a
    formula = FailureModeFactory(
        step=step, mode=FORMULA, cause="", severity=2, probability=3, detectability=4
    )
    ActionFactory(
        failure_mode=formula,
        description="Add a replica",
        owner="bob",
        due_date=datetime.date(2027, 1, 31),
        status="in_progress",
    )
    ActionFactory(
        failure_mode=formula,
        description="Write the runbook",
        owner="",
        due_date=datetime.date(2026, 11, 30),
    )
    rollups.recompute_team(team_a.pk)
    return load_workbook(io.BytesIO(read(make_run("xlsx", team=team_a, user=alice))))


def test_it_has_the_report_sheets_in_order(workbook):
    assert workbook.sheetnames == SHEETS


def test_the_worksheet_header_is_frozen_and_filters_every_row(workbook):
    sheet = workbook["Worksheet"]
    headers = [cell.value for cell in sheet[1]]
    assert len(headers) == 37
    assert headers[:3] == ["Business function", "Application", "Tier"]
    assert headers[-3:] == ["Application failover time seconds", "ID", "Version"]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:AK3"  # 37 columns: A to AK; header and 2 rows
    assert sheet.column_dimensions["I"].width == 36  # Failure mode
    assert workbook["Findings"].freeze_panes == "A2"
    assert workbook["Recovery"].freeze_panes == "A2"


def test_a_text_that_looks_like_a_formula_stays_text(workbook):
    sheet = workbook["Worksheet"]
    column = [cell.value for cell in sheet[1]].index("Failure mode")
    cell = sheet.cell(row=3, column=column + 1)  # RPN 24, after the RPN 175 row
    assert cell.value == FORMULA
    assert cell.data_type == "s"


def test_ratings_and_rpn_are_numbers(workbook):
    sheet = workbook["Worksheet"]
    headers = [cell.value for cell in sheet[1]]
    first = {name: cell for name, cell in zip(headers, sheet[2], strict=False)}
    second = {name: cell for name, cell in zip(headers, sheet[3], strict=False)}
    assert first["Failure mode"].value == "Primary database fails"
    assert (first["Severity"].value, first["RPN"].value) == (7, 175)  # 7 x 5 x 5
    assert (second["Severity"].value, second["RPN"].value) == (2, 24)  # 2 x 3 x 4
    for cell in (first["Severity"], first["RPN"], second["Tier"], second["Probability"]):
        assert cell.data_type == "n"
    assert first["Revised RPN"].value is None  # not re-rated: an empty cell


def test_a_finding_is_dated_as_a_date(workbook):
    sheet = workbook["Findings"]
    assert sheet.max_row > 1
    first_seen = sheet.cell(row=2, column=7)
    assert isinstance(first_seen.value, datetime.datetime)
    assert first_seen.is_date and first_seen.number_format == "yyyy-mm-dd h:mm:ss"
    assert sheet.auto_filter.ref == f"A1:G{sheet.max_row}"


def test_a_row_holds_its_actions_soonest_due_first_and_empty_texts_as_empty_cells(workbook):
    sheet = workbook["Worksheet"]
    headers = [cell.value for cell in sheet[1]]
    first = {name: cell.value for name, cell in zip(headers, sheet[2], strict=False)}
    second = {name: cell.value for name, cell in zip(headers, sheet[3], strict=False)}
    assert first["Actions"] is None  # the RPN 175 row has none
    assert second["Actions"] == (
        "Write the runbook (no owner, due 2026-11-30, open)\n"
        "Add a replica (bob, due 2027-01-31, in progress)"
    )
    assert (first["Cause"], second["Cause"]) == ("A component fails", None)
    assert second["Prevention controls"] is None
