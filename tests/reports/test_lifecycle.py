"""Reports mark worse revised ratings and list the findings set aside apart from the
counted ones."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from registry.analysis import rollups
from registry.models import FailureMode, Finding
from registry.services.findings import suppress_finding
from tests.reports.conftest import read
from tests.reports.test_formats import ARTIFACTS, pdf_text

KNOWN_MODE = "Throttling at the provisioned capacity"  # 6/5/3 in the demo
REASON = "Capacity is bought in March; peak limit known."


@pytest.fixture
def decided(demo, demo_owner):
    """The demo with one worse re-rating (6/5/3 → 7/5/3) and one finding set aside."""
    throttling = FailureMode.objects.get(team=demo, mode=KNOWN_MODE)
    FailureMode.objects.filter(pk=throttling.pk).update(
        revised_severity=7, revised_probability=5, revised_detectability=3
    )
    rollups.recompute_team(demo.pk)
    finding = Finding.objects.filter(team=demo, failure_mode__isnull=False).first()
    suppress_finding(
        finding,
        user=demo_owner,
        status="accepted",
        reason=REASON,
        expires_on=datetime.date.today() + datetime.timedelta(days=60),
    )
    return finding


def test_the_xlsx_report_flags_worse_ratings_and_lists_what_is_set_aside(make_run, decided):
    workbook = load_workbook(io.BytesIO(read(make_run("xlsx"))))
    sheet = workbook["Worksheet"]
    headers = [cell.value for cell in sheet[1]]
    column = {name: index for index, name in enumerate(headers)}
    rows = list(sheet.iter_rows(min_row=2))
    throttling = next(row for row in rows if row[column["Failure mode"]].value == KNOWN_MODE)
    revised = throttling[column["Revised RPN"]]
    assert revised.value == 105  # 7 × 5 × 3
    assert revised.fill.fgColor.rgb != "00000000" and revised.font.b
    counted = [row[2].value for row in workbook["Findings"].iter_rows(min_row=2)]
    assert decided.message not in counted
    assert len(counted) == Finding.objects.filter(team=decided.team).count() - 1
    aside = [[cell.value for cell in row] for row in workbook["Set aside"].iter_rows(min_row=2)]
    assert [(row[0], row[1], row[2]) for row in aside] == [(decided.message, "Accepted", REASON)]


def test_the_pdf_report_marks_worse_ratings_and_lists_what_is_set_aside(make_run, decided):
    pdf = read(make_run("pdf"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "lifecycle.pdf").write_bytes(pdf)  # to look at
    _, pages = pdf_text(pdf)
    text = "\n".join(pages)
    assert "Findings set aside" in text
    assert "Capacity is bought in March" in text
    assert "105 worse" in text
