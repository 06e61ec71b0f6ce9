"""The reports' incidents section: per application, incidents over the evidence window
(each once, however many of the application's failure modes it touched), downtime,
data lost and contradicted ratings, the same figures in the PDF and the XLSX."""

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from registry.analysis.evidence import application_incidents
from registry.analysis.findings import refresh_findings
from registry.models import Application, FailureMode, Incident
from tests.factories import IncidentFactory
from tests.reports.conftest import read
from tests.reports.test_formats import ARTIFACTS

pytestmark = pytest.mark.django_db


def ago(days: int, minutes: int = 0) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days) + datetime.timedelta(minutes=minutes)


@pytest.fixture
def incidents(demo):
    """Two failure modes of the first application: a shared incident (30 min down), one
    more on the first (90 min down, 60 s of data lost), one still open, one older than
    the window. The first failure mode is rated probability 1, so 3 incidents a year
    (observed 6) contradict it."""
    Incident.objects.filter(team=demo).delete()  # the demo's own: counted here by hand
    application = Application.objects.filter(team=demo).order_by("tier__level", "name").first()
    first, second = FailureMode.objects.filter(step__application=application).order_by("id")[:2]
    first.probability, first.revised_severity = 1, None
    first.revised_probability = first.revised_detectability = None
    first.save()
    IncidentFactory(
        team=demo,
        started_at=ago(10),
        detected_at=ago(10, 1),
        resolved_at=ago(10, 30),
        failure_modes=[first, second],
    )
    IncidentFactory(
        team=demo,
        started_at=ago(50),
        detected_at=ago(50, 1),
        resolved_at=ago(50, 90),
        data_lost_seconds=60,
        failure_modes=[first],
    )
    IncidentFactory(team=demo, started_at=ago(5), detected_at=ago(5, 1), failure_modes=[first])
    IncidentFactory(
        team=demo, started_at=ago(400), resolved_at=ago(400, 600), failure_modes=[first]
    )
    refresh_findings(demo.pk)
    return application


def test_each_incident_counts_once_per_application(demo, incidents):
    rows = {row.application_id: row for row in application_incidents(demo.pk)}

    mine = rows[incidents.pk]
    assert mine.incidents == 3  # the shared one once; the old one outside the window
    assert mine.downtime_seconds == 30 * 60 + 90 * 60  # the open one has none yet
    assert mine.data_lost_seconds == 60
    assert mine.contradicted == 1  # probability 1 against observed 6
    others = [row for pk, row in rows.items() if pk != incidents.pk]
    assert all(row.incidents == 0 and row.downtime_seconds == 0 for row in others)


def test_the_xlsx_and_pdf_reports_show_the_section(make_run, incidents):
    workbook = load_workbook(io.BytesIO(read(make_run("xlsx"))), read_only=True)
    sheet = list(workbook["Incidents"].iter_rows(values_only=True))
    assert sheet[0][:2] == ("Application", "Incidents")
    assert (incidents.name, 3, 7200, 60, 1) in sheet

    pdf = read(make_run("pdf"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "incidents.pdf").write_bytes(pdf)  # for a person to look at
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Incidents linked to each application's failure modes in the last 12 months" in text
    assert "2 hours" in text
