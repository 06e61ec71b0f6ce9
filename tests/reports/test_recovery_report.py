"""The recovery table in the reports: the PDF's Recovery pages and the XLSX Recovery
sheet show, per step of the demo team and disruption, objective, computed and last
measured, coloured by whether each meets the objective."""

import io

import pytest
from openpyxl import load_workbook

from tests.reports.test_formats import pdf_text, read

pytestmark = pytest.mark.django_db

RED, GREEN = "F8D0CC", "D8F0DC"  # RGB: spreadsheets ignore the alpha of fills


def test_the_xlsx_recovery_sheet(make_run):
    """Add to cart rests on the Cart table (nightly backups kept in Ireland): 1 d of
    data after a component failure, unrecoverable after a region loss (red); the
    Orders table's async replica keeps Pay's region RPO at its 5 s lag (green)."""
    workbook = load_workbook(io.BytesIO(read(make_run("xlsx"))))
    sheet = workbook["Recovery"]
    assert [cell.value for cell in sheet[1]][:4] == [
        "Application / step",
        "Disruption",
        "RTO objective",
        "RTO computed",
    ]
    rows = {
        (row[0].value, row[1].value): row for row in sheet.iter_rows(min_row=2) if row[1].value
    }
    cart = rows["Order processing / Add to cart", "Component failure"]
    assert cart[6].value == "1 d — Cart table's backup interval (1 d)"
    assert cart[6].fill.fgColor.rgb[-6:] == RED
    region = rows["Order processing / Add to cart", "Region loss"]
    # (DNS records no region: the application's are assumed, marked *.)
    assert region[6].value.startswith("unrecoverable * — Cart table: no copy that survives")
    pay = rows["Order processing / Pay", "Region loss"]
    assert pay[6].value.startswith("5 s")
    assert pay[6].fill.fgColor.rgb[-6:] == GREEN
    # The failed corruption drill: measured 3 h against the 2 h objective, in red.
    drill = rows["Order processing / Pay", "Data corruption"][4]
    assert drill.value.startswith("3 h (") and "failed" in drill.value
    assert drill.fill.fgColor.rgb[-6:] == RED


def test_the_pdf_has_the_recovery_table(make_run):
    _, pages = pdf_text(read(make_run("pdf")))
    page = next(page for page in pages if "RTO last measured" in page)
    text = " ".join(page.split())
    assert "Recovery" in text and "Add to cart" in text
    assert "unrecoverable" in text and "Cart table" in text
