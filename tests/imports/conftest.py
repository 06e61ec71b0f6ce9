"""Fixtures of the import tests: reference data, an empty team, and files made on
the fly (CSV text, XLSX workbooks)."""

import csv
import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from registry.models import Action, Application, BusinessFunction, Component, FailureMode, Step
from registry.services.reference_data import load_reference_data
from tests.factories import TeamFactory

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "sample_worksheet.csv"
if not SAMPLE.exists():  # the copy the app ships
    SAMPLE = Path(__file__).resolve().parents[2] / "registry" / "data" / "sample_worksheet.csv"


@pytest.fixture
def reference(db):
    load_reference_data()


@pytest.fixture
def empty_team(reference):
    return TeamFactory(name="Empty team", slug="empty")


@pytest.fixture
def sample_bytes() -> bytes:
    return SAMPLE.read_bytes()


def sample_rows() -> list[list[str]]:
    return list(csv.reader(io.StringIO(SAMPLE.read_text(encoding="utf-8"))))


def csv_bytes(rows: list[list]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def xlsx_bytes(rows: list[list], title: str = "Sheet1") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def register_counts(team) -> dict[str, int]:
    return {
        "business_functions": BusinessFunction.objects.filter(team=team).count(),
        "applications": Application.objects.filter(team=team).count(),
        "steps": Step.objects.filter(application__team=team).count(),
        "components": Component.objects.filter(team=team).count(),
        "failure_modes": FailureMode.objects.filter(team=team).count(),
        "actions": Action.objects.filter(failure_mode__team=team).count(),
    }


NOTHING = dict.fromkeys(
    ["business_functions", "applications", "steps", "components", "failure_modes", "actions"], 0
)
