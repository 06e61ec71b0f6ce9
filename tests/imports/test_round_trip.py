"""Export then import into an empty team gives the same failure modes: through the
API's CSV export, the CSV report and the XLSX report. (The ids and versions name the
first team's rows; a copy into another team leaves them out.)"""

import csv
import io

import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from rest_framework.test import APIClient

from registry.imports.service import import_worksheet
from registry.models import FailureMode, Membership, Team
from registry.reports import runs
from tests.factories import TeamFactory


@pytest.fixture
def demo(db):
    call_command("seed_demo", verbosity=0)
    team = Team.objects.get(slug="demo")
    # A text a spreadsheet would run: exported with a quote, imported as it was.
    FailureMode.objects.filter(team=team, mode="Bad deployment").update(cause="=cmd|' /C calc'!A0")
    FailureMode.objects.filter(team=team, mode="Region outage").update(
        revised_severity=9, revised_probability=1, revised_detectability=2, status="mitigating"
    )
    return team


def register(team) -> set[tuple]:
    return set(
        FailureMode.objects.filter(team=team).values_list(
            "step__application__business_function__name",
            "step__application__name",
            "step__application__tier__level",
            "step__order",
            "step__name",
            "component__name",
            "component__kind",
            "failure_category",
            "mode",
            "effect",
            "cause",
            "prevention_controls",
            "detection_controls",
            "severity",
            "probability",
            "detectability",
            "rpn",
            "action_priority",
            "status",
            "revised_severity",
            "revised_probability",
            "revised_detectability",
        )
    )


def without_ids(data: bytes) -> bytes:
    """The file with its id and version columns removed."""
    if data.startswith(b"PK"):
        workbook = load_workbook(io.BytesIO(data))
        sheet = workbook["Worksheet"]
        headers = [cell.value for cell in sheet[1]]
        for name in ("Version", "ID"):
            sheet.delete_cols(headers.index(name) + 1)
            headers.remove(name)
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()
    rows = list(csv.reader(io.StringIO(data.decode())))
    keep = [i for i, name in enumerate(rows[0]) if name not in ("id", "version")]
    out = io.StringIO()
    csv.writer(out).writerows([[row[i] for i in keep] for row in rows])
    return out.getvalue().encode()


def round_trip(demo, data: bytes) -> None:
    empty = TeamFactory(name="Copy", slug="copy")
    result = import_worksheet(team=empty, user=None, data=without_ids(data))
    assert result.ok, result.problems[:5]
    assert len(register(demo)) == FailureMode.objects.filter(team=demo).count() == 10
    assert register(empty) == register(demo)


def test_the_api_export_round_trips(demo):
    client = APIClient()
    client.force_authenticate(Membership.objects.get(team=demo, role="owner").user)
    response = client.get(f"/api/v1/failure-modes/export.csv?team={demo.pk}")
    data = b"".join(response.streaming_content)
    assert b"'=cmd" in data  # neutralised in the file
    round_trip(demo, data)
    assert FailureMode.objects.get(team__slug="copy", mode="Bad deployment").cause.startswith(
        "=cmd"
    )


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_a_report_round_trips(demo, format, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    run = runs.request_report(team=demo, user=None, format=format, scope={})
    assert runs.generate(run.pk) == "done"
    run.refresh_from_db()
    with run.file.open("rb") as handle:
        round_trip(demo, handle.read())
