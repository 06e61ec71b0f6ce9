"""The import page in the browser: upload, dry run, problems by row and column."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from registry.models import FailureMode, WorksheetImport
from tests.imports.conftest import csv_bytes, sample_rows


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_editor_dry_runs_then_imports(reference, team_a, bob, sample_bytes):
    client = logged_in(bob)
    page = client.get("/imports/").content.decode()
    assert "Import a worksheet" in page and "business_function" in page
    response = client.post(
        "/imports/", {"file": SimpleUploadedFile("fmea.csv", sample_bytes), "dry_run": "on"}
    )
    assert response.status_code == 302
    job = WorksheetImport.objects.get()
    detail = client.get(response["Location"]).content.decode()
    assert "5 failure modes would be created." in detail and "Order processing" in detail
    assert "Nothing was written: this was a dry run." in detail
    assert not FailureMode.objects.filter(team=team_a).exists()

    client.post("/imports/", {"file": SimpleUploadedFile("fmea.csv", sample_bytes)})
    assert FailureMode.objects.filter(team=team_a).count() == 5
    assert job.pk != WorksheetImport.objects.order_by("-id").first().pk


def test_problems_are_listed_by_row_and_column(reference, team_a, alice):
    rows = sample_rows()
    rows[3][rows[0].index("status")] = "finished"
    client = logged_in(alice)
    response = client.post("/imports/", {"file": SimpleUploadedFile("bad.csv", csv_bytes(rows))})
    detail = client.get(response["Location"]).content.decode()
    assert "Nothing was imported." in detail
    assert '<td class="num">4</td><td>status</td>' in detail
    assert "Unknown status &#x27;finished&#x27;" in detail


def test_a_queued_import_is_polled(reference, team_a, bob, sample_bytes, settings):
    settings.IMPORT_INLINE_MAX_BYTES = 10
    client = logged_in(bob)
    response = client.post("/imports/", {"file": SimpleUploadedFile("big.csv", sample_bytes)})
    job = WorksheetImport.objects.get()
    detail = client.get(response["Location"]).content.decode()
    assert f'hx-get="/imports/{job.pk}/?fragment=1"' in detail and "<progress" in detail
    fragment = client.get(f"/imports/{job.pk}/?fragment=1").content.decode()
    assert fragment.lstrip().startswith('<div id="import-status"')


def test_viewers_and_other_teams_cannot_import(
    reference, team_a, bob, victor, charlie, sample_bytes
):
    assert logged_in(victor).get("/imports/").status_code == 403
    response = logged_in(bob).post(
        "/imports/", {"file": SimpleUploadedFile("f.csv", sample_bytes)}
    )
    assert logged_in(charlie).get(response["Location"]).status_code == 404


def test_a_finished_import_is_no_longer_polled(reference, team_a, bob, sample_bytes):
    """Done or refused, the status block stops asking for itself."""
    client = logged_in(bob)
    done = client.post("/imports/", {"file": SimpleUploadedFile("fmea.csv", sample_bytes)})
    refused = client.post("/imports/", {"file": SimpleUploadedFile("bad.csv", b"only,junk\n")})
    for response, status in ((done, "done"), (refused, "failed")):
        job = WorksheetImport.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
        assert job.status == status
        fragment = client.get(f"/imports/{job.pk}/?fragment=1").content.decode()
        assert "hx-get" not in fragment and "<progress" not in fragment


def test_a_dry_run_of_an_edited_export_lists_the_changes(reference, team_a, bob, sample_bytes):
    """The page counts new, updated, unchanged and conflicting rows, and shows each
    update's fields before → after; a conflict refuses the file."""
    import csv
    import io

    from registry.exports import stream_csv

    client = logged_in(bob)
    client.post("/imports/", {"file": SimpleUploadedFile("fmea.csv", sample_bytes)})
    exported = b"".join(stream_csv(FailureMode.objects.filter(team=team_a).order_by("id")))
    rows = list(csv.reader(io.StringIO(exported.decode())))
    target = FailureMode.objects.get(pk=int(rows[1][0]))
    rows[1][rows[0].index("severity")] = str(target.severity % 10 + 1)
    edited = csv_bytes(rows)

    response = client.post(
        "/imports/", {"file": SimpleUploadedFile("edited.csv", edited), "dry_run": "on"}
    )
    detail = client.get(response["Location"]).content.decode()
    assert "0 failure modes would be created, 1 updated, 4 unchanged." in detail
    assert f"severity: {target.severity} → {target.severity % 10 + 1}" in detail
    assert f"#{target.pk} {target.mode}" in detail

    target.cause = "Changed in the browser"
    target.save()
    response = client.post("/imports/", {"file": SimpleUploadedFile("edited.csv", edited)})
    detail = client.get(response["Location"]).content.decode()
    assert "Nothing was imported." in detail
    assert "1 in conflict." in detail
    assert f"Conflict: failure mode #{target.pk} was changed since this file was exported" in (
        detail
    )
    target.refresh_from_db()
    assert target.version == 2
