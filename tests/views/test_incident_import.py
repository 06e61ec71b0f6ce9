"""The incident import page: a dry run lists what would be recorded, one click records
it; a file with a problem records nothing and names the row and column."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from registry.models import Incident
from tests.factories import ComponentFactory

pytestmark = pytest.mark.django_db

GOOD = (
    "title,started_at,resolved_at,severity,components\n"
    "Orders DB failover stuck,2026-10-01T09:00:00Z,2026-10-01T11:00:00Z,high,orders-db\n"
    "Checkout latency spike,2026-11-02T10:00:00Z,,medium,\n"
)
BAD = GOOD + "Payments timeouts,yesterday,,low,\n"


def upload(client, text: str, dry_run: bool = True):
    data = {"file": SimpleUploadedFile("incidents.csv", text.encode(), "text/csv")}
    if dry_run:
        data["dry_run"] = "on"
    return client.post("/incidents/import/", data)


def test_a_dry_run_says_what_would_be_recorded_and_the_confirmation_records_it(as_bob, team_a):
    orders_db = ComponentFactory(team=team_a, name="orders-db")

    checked = upload(as_bob, GOOD)

    assert checked.status_code == 200
    assert "2 incidents would be recorded" in checked.content.decode()
    assert Incident.objects.count() == 0
    token = checked.context["token"]
    confirmed = as_bob.post("/incidents/import/", {"confirm": token})
    assert "2 incidents recorded" in confirmed.content.decode()
    failover = Incident.objects.get(title="Orders DB failover stuck")
    assert failover.resolved_at == datetime.datetime(2026, 10, 1, 11, 0, tzinfo=datetime.UTC)
    assert list(failover.components.all()) == [orders_db]
    assert Incident.objects.filter(title="Checkout latency spike", resolved_at=None).exists()
    # The same confirmation again records nothing twice.
    again = as_bob.post("/incidents/import/", {"confirm": token})
    assert again.status_code == 409
    assert Incident.objects.count() == 2


def test_a_file_with_a_problem_records_nothing_and_names_its_row_and_column(as_bob, team_a):
    ComponentFactory(team=team_a, name="orders-db")

    response = upload(as_bob, BAD, dry_run=False)

    page = response.content.decode()
    assert response.status_code == 422
    assert "Nothing was imported." in page
    assert [(e["row"], e["column"]) for e in response.context["result"].errors()] == [
        (4, "started_at")
    ]
    assert "is not a time" in page
    assert Incident.objects.count() == 0


def test_the_list_links_the_page_and_a_viewer_cannot_import(as_bob, as_victor, team_a):
    assert 'href="/incidents/import/"' in as_bob.get("/incidents/").content.decode()
    assert upload(as_victor, GOOD, dry_run=False).status_code in (403, 404)
    assert Incident.objects.count() == 0


def test_checked_files_never_confirmed_are_pruned_after_a_day(as_bob, team_a, settings, tmp_path):
    """A dry run keeps its file for the confirmation; the nightly prune deletes it once
    a day old, and leaves the worksheet imports' uploads alone."""
    settings.MEDIA_ROOT = tmp_path
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from registry.imports import checked

    ComponentFactory(team=team_a, name="orders-db")
    checked_page = upload(as_bob, GOOD)
    assert checked_page.context["token"]
    _, names = default_storage.listdir(checked.FOLDER)
    assert len(names) == 1
    worksheet_upload = default_storage.save("imports/worksheet.upload", ContentFile(b"x"))
    now = timezone.now()
    assert checked.prune(now) == 0  # a fresh check stays
    assert checked.prune(now + datetime.timedelta(days=1, minutes=1)) == 1
    assert default_storage.listdir(checked.FOLDER)[1] == []
    assert default_storage.exists(worksheet_upload)
    default_storage.delete(worksheet_upload)
    confirmed = as_bob.post("/incidents/import/", {"confirm": checked_page.context["token"]})
    assert confirmed.status_code == 409  # the check has expired: upload again
    assert Incident.objects.count() == 0
