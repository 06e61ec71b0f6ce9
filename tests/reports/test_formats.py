"""Each report format, generated for the demo register and read back."""

import csv
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from registry.analysis import rollups
from registry.choices import FindingKind
from registry.exports import COLUMNS
from registry.models import FailureMode, Tier
from tests.reports.conftest import read

KNOWN_MODE = "Throttling at the provisioned capacity"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reports"


@pytest.fixture
def computed(demo):
    """The demo with its findings and rollups computed."""
    rollups.recompute_team(demo.pk)
    return demo


# --- CSV ------------------------------------------------------------------------------


def test_the_csv_report_has_the_export_columns_and_every_failure_mode(make_run, demo):
    run = make_run("csv")
    rows = list(csv.DictReader(io.StringIO(read(run).decode())))
    assert list(rows[0]) == COLUMNS
    assert run.row_count == len(rows) == FailureMode.objects.filter(team=demo).count()
    throttling = next(row for row in rows if row["mode"] == KNOWN_MODE)
    assert throttling["application"] == "Order processing"
    assert (throttling["severity"], throttling["rpn"], throttling["action_priority"]) == (
        "6",
        "90",
        "L",
    )


def test_the_csv_report_neutralises_formulas(make_run, demo):
    """A failure mode named like a formula is exported with a leading quote."""
    failure_mode = FailureMode.objects.filter(team=demo).first()
    FailureMode.objects.filter(pk=failure_mode.pk).update(mode='=HYPERLINK("http://x")')
    rows = list(csv.DictReader(io.StringIO(read(make_run("csv")).decode())))
    assert '\'=HYPERLINK("http://x")' in [row["mode"] for row in rows]


def test_the_csv_report_keeps_to_its_scope(make_run, demo):
    """Tier 4 only: the clickstream application's one failure mode."""
    run = make_run("csv", tiers=[4])
    rows = list(csv.DictReader(io.StringIO(read(run).decode())))
    assert {row["application"] for row in rows} == {"Clickstream analytics"}
    assert run.row_count == len(rows) == 1


def test_the_scope_combines_status_rpn_and_priority(make_run, demo):
    run = make_run("csv", statuses=["open"], min_rpn=100, action_priorities=["H"])
    rows = list(csv.DictReader(io.StringIO(read(run).decode())))
    expected = FailureMode.objects.filter(
        team=demo, status="open", rpn__gte=100, action_priority="H"
    ).count()
    assert expected > 0
    assert len(rows) == expected
    assert all(int(row["rpn"]) >= 100 and row["action_priority"] == "H" for row in rows)


# --- XLSX -----------------------------------------------------------------------------


def test_the_xlsx_report_has_the_worksheet_summary_and_findings(make_run, computed):
    run = make_run("xlsx")
    workbook = load_workbook(io.BytesIO(read(run)))
    assert workbook.sheetnames == [
        "Worksheet",
        "Summary",
        "Findings",
        "Recovery",
        "Set aside",
        "Incidents",
    ]

    sheet = workbook["Worksheet"]
    headers = [cell.value for cell in sheet[1]]
    assert headers[:6] == [
        "Business function",
        "Application",
        "Tier",
        "Step order",
        "Step",
        "Component",
    ]
    assert {"Failure mode", "Severity", "Probability", "Detectability", "RPN", "AP"} <= set(
        headers
    )
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:AK{run.row_count + 1}"  # 37 columns: 10 of recovery
    assert sheet.column_dimensions["I"].width == 36  # the failure mode column
    assert sheet.max_row == run.row_count + 1

    column = {name: index for index, name in enumerate(headers)}
    rows = [[cell for cell in row] for row in sheet.iter_rows(min_row=2)]
    throttling = next(row for row in rows if row[column["Failure mode"]].value == KNOWN_MODE)
    assert throttling[column["Severity"]].value == 6
    assert throttling[column["RPN"]].value == 90
    assert throttling[column["Status"]].value == "Open"
    ap = throttling[column["AP"]]
    assert ap.value == "L"
    assert ap.fill.fgColor.rgb[-6:] == "D8F0DC"  # Low: green
    high = next(row[column["AP"]] for row in rows if row[column["AP"]].value == "H")
    assert high.fill.fgColor.rgb[-6:] == "F8D0CC"  # High: red
    assert high.font.b
    assert sheet["A1"].font.b  # header row

    summary = workbook["Summary"]
    values = [[cell.value for cell in row] for row in summary.iter_rows()]
    assert ["Team", "Demo retail"] in [row[:2] for row in values]
    header_index = next(
        i for i, row in enumerate(values) if row[:3] == ["Tier", "Name", "Failure modes"]
    )
    tiers = values[header_index + 1 : header_index + 1 + Tier.objects.count()]
    assert [row[0] for row in tiers] == [1, 2, 3, 4]
    tier1 = tiers[0]
    assert (
        tier1[2]
        == FailureMode.objects.filter(team=computed, step__application__tier__level=1).count()
    )

    findings = workbook["Findings"]
    assert [cell.value for cell in findings[1]] == [
        "Severity",
        "Kind",
        "Finding",
        "Application",
        "Step",
        "Assumed figures",
        "First seen",
    ]
    assert findings.max_row - 1 == computed.findings.count() > 0
    assert findings.freeze_panes == "A2"
    # The demo's Pay step rests on Card network API, which has no figure (the recovery
    # findings that rest on assumed recovery inputs are marked too).
    composite = FindingKind.COMPOSITE_AVAILABILITY_GAP.label
    [pay] = [
        row
        for row in findings.iter_rows(min_row=2, values_only=True)
        if row[5] and row[1] == composite
    ]
    assert pay[5] == "assumed" and pay[4] == "Pay"
    assert "Assumes 99.9 % for Card network API: no figure entered." in pay[2]


def test_the_summary_sheet_agrees_with_the_stored_tier_rollups(make_run, computed):
    """For the whole team the report's tier table is the TierRollup's figures."""
    workbook = load_workbook(io.BytesIO(read(make_run("xlsx"))))
    values = [[cell.value for cell in row] for row in workbook["Summary"].iter_rows()]
    start = next(i for i, row in enumerate(values) if row[:2] == ["Tier", "Name"]) + 1
    for row, rollup in zip(
        values[start : start + 4], computed.tier_rollups.order_by("tier__level"), strict=True
    ):
        assert row[2:5] == [rollup.failure_mode_count, rollup.open_count, rollup.rpn_max]
        assert row[7] == rollup.ap_high_count
        assert row[13] == rollup.finding_count
        assert row[14] == rollup.assumed_finding_count


def test_the_xlsx_report_writes_formula_like_text_as_text(make_run, demo):
    failure_mode = FailureMode.objects.filter(team=demo).first()
    FailureMode.objects.filter(pk=failure_mode.pk).update(effect="=1+2")
    workbook = load_workbook(io.BytesIO(read(make_run("xlsx"))))
    cells = [
        cell for row in workbook["Worksheet"].iter_rows() for cell in row if cell.value == "=1+2"
    ]
    assert len(cells) == 1
    assert cells[0].data_type == "s"


# --- PDF ------------------------------------------------------------------------------


def pdf_text(data: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(io.BytesIO(data))
    return reader, [page.extract_text() for page in reader.pages]


def test_the_pdf_report_has_the_cover_summary_charts_findings_and_worksheet(make_run, computed):
    run = make_run("pdf")
    reader, pages = pdf_text(read(run))
    text = "\n".join(pages)
    assert "FMEA risk report" in pages[0] and "Demo retail" in pages[0]
    assert "Minimum RPN" in pages[0]
    summary = next(page for page in pages if "Executive summary" in page)
    assert "Tier rollup" in summary
    for tier in Tier.objects.all():
        assert tier.name in summary
    assert "Counts by action priority" in summary and "Top findings" in summary
    assert any("Severity × probability" in page and "Pareto of RPN" in page for page in pages)
    assert "Resilience findings" in text
    assert "[rests on assumed figures]" in " ".join(text.split())
    assert KNOWN_MODE in text
    assert "Order processing" in text and "Step 2. Add to cart" in text
    total = len(reader.pages)
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in page
        assert "generated " in page and "Demo retail" in page
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(width), round(height)) == (842, 595)  # landscape A4


def test_the_pdf_report_can_be_us_letter(make_run, demo, settings):
    settings.REPORT_PAGE_SIZE = "LETTER"
    reader, _ = pdf_text(read(make_run("pdf")))
    page = reader.pages[0]
    assert (round(page.mediabox.width), round(page.mediabox.height)) == (792, 612)


def test_the_worksheet_repeats_its_table_header_on_every_page(make_run, demo):
    """One step with 120 failure modes spans pages; each page's table has the header."""
    step = FailureMode.objects.filter(team=demo).first().step
    FailureMode.objects.bulk_create(
        FailureMode(
            team=demo,
            step=step,
            mode=f"Extra failure mode {n}",
            effect="Something users notice",
            severity=5,
            probability=4,
            detectability=3,
        )
        for n in range(120)
    )
    _, pages = pdf_text(read(make_run("pdf")))
    worksheet_pages = [
        page for page in pages if "Extra failure mode" in page and "Risk charts" not in page
    ]
    assert len(worksheet_pages) >= 3
    for page in worksheet_pages:
        assert "Controls: prevention" in page and "Actions" in page


@pytest.mark.parametrize("effect_words", [40, 90, 160])
def test_no_step_heading_is_left_alone_at_the_bottom_of_a_page(make_run, demo, effect_words):
    """Tall rows (long effects) push tables across pages: each step heading shares its
    page with its table's header and first row, whatever the row heights."""
    FailureMode.objects.filter(team=demo).update(
        effect=" ".join(["Customers cannot finish the order"] * (effect_words // 5))
    )
    _, pages = pdf_text(read(make_run("pdf")))
    for number, page in enumerate(pages, start=1):
        lines = page.splitlines()
        headings = [i for i, line in enumerate(lines) if re.match(r"Step \d+\. ", line)]
        if headings:
            after = "\n".join(lines[headings[-1] + 1 :])
            assert "Failure mode" in after, f"page {number} ends with {lines[headings[-1]]!r}"


def test_the_pdf_pages_render(make_run, computed, demo_owner):
    """Every page type rendered to PNG under test-artifacts/reports/ for a person to look
    at: a scheduled report (cover, changes, summary, charts, findings, a worksheet long
    enough to continue over pages)."""
    from registry.models import ReportSchedule
    from registry.reports import schedules

    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    step = FailureMode.objects.get(team=computed, mode=KNOWN_MODE).step
    schedule = ReportSchedule.objects.create(
        team=computed,
        name="Weekly",
        format="pdf",
        crontab="0 7 * * 1",
        recipients="boss@example.com",
        created_by=demo_owner,
    )
    schedules.fire(schedule.pk)
    FailureMode.objects.bulk_create(
        FailureMode(
            team=computed,
            step=step,
            mode=f"Hot partition variant {n}",
            effect="Shoppers wait while the partition recovers; some give up and leave",
            cause="A burst of writes to one key",
            prevention_controls="Write sharding",
            detection_controls="Per-partition throttling metric",
            severity=1 + n % 10,
            probability=1 + n * 3 % 10,
            detectability=1 + n * 7 % 10,
        )
        for n in range(45)
    )
    rollups.recompute_team(computed.pk)
    schedules.fire(schedule.pk)
    run = schedule.runs.order_by("-id").first()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("scheduled-*.png"):
        old.unlink()
    path = ARTIFACTS / "scheduled.pdf"
    path.write_bytes(read(run))
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(path), str(ARTIFACTS / "scheduled")], check=True
    )
    reader = PdfReader(path)
    assert len(list(ARTIFACTS.glob("scheduled-*.png"))) == len(reader.pages)
    assert "What changed since the previous report" in reader.pages[1].extract_text()
    assert any("(continued)" in page.extract_text() for page in reader.pages)
