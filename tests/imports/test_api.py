"""imports/ in the API: multipart upload, all or nothing, editors and owners only."""

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from registry.imports import jobs
from registry.models import FailureMode, WorksheetImport
from tests.imports.conftest import NOTHING, csv_bytes, register_counts, sample_rows


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def upload(client, team, data: bytes, name="worksheet.csv", **fields):
    return client.post(
        "/api/v1/imports/",
        {"team": team.pk, "file": SimpleUploadedFile(name, data), **fields},
        format="multipart",
    )


def test_an_editor_imports_a_worksheet(reference, team_a, bob, sample_bytes):
    response = upload(client_for(bob), team_a, sample_bytes)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "done" and body["errors"] == []
    assert body["summary"]["created"]["failure_modes"] == 5
    assert body["source_name"] == "worksheet.csv"
    assert FailureMode.objects.filter(team=team_a).count() == 5


def test_a_dry_run_answers_200_and_writes_nothing(reference, team_a, alice, sample_bytes):
    response = upload(client_for(alice), team_a, sample_bytes, dry_run="true")
    assert response.status_code == 200
    assert response.json()["summary"]["dry_run"] is True
    assert register_counts(team_a) == NOTHING


def test_a_bad_worksheet_answers_400_with_each_problem(reference, team_a, bob):
    rows = sample_rows()
    rows[1][rows[0].index("severity")] = "11"
    response = upload(client_for(bob), team_a, csv_bytes(rows))
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 2, "column": "severity", "message": "11 is outside the rating scale 1–10."}
    ]
    assert register_counts(team_a) == NOTHING


def test_a_viewer_cannot_import(reference, team_a, victor, sample_bytes):
    assert upload(client_for(victor), team_a, sample_bytes).status_code == 403
    assert register_counts(team_a) == NOTHING


def test_another_teams_import_is_invisible(reference, team_a, bob, charlie, sample_bytes):
    job_id = upload(client_for(bob), team_a, sample_bytes).json()["id"]
    assert client_for(charlie).get(f"/api/v1/imports/{job_id}/").status_code == 404
    response = upload(client_for(charlie), team_a, sample_bytes)
    assert response.status_code == 400 and "team" in response.json()


def test_the_client_file_name_is_never_a_path(reference, team_a, bob, sample_bytes, settings):
    settings.IMPORT_INLINE_MAX_BYTES = 10  # stored for the task
    response = upload(client_for(bob), team_a, sample_bytes, name="../../etc/passwd")
    assert response.status_code == 202
    job = WorksheetImport.objects.get(pk=response.json()["id"])
    assert job.source_name == "passwd"
    assert job.upload.name.startswith("imports/") and "passwd" not in job.upload.name


def test_a_large_file_is_imported_by_the_task_with_progress(
    reference, team_a, bob, sample_bytes, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_INLINE_MAX_BYTES = 10
    response = upload(client_for(bob), team_a, sample_bytes)
    assert response.status_code == 202
    job = WorksheetImport.objects.get(pk=response.json()["id"])
    assert job.status == "queued" and job.upload
    stored = job.upload.path
    assert jobs.run(job.pk) == "done"
    assert jobs.run(job.pk) == "skipped"  # a redelivered task does nothing
    job.refresh_from_db()
    assert job.status == "done" and job.progress_done == job.progress_total == 5
    assert job.progress_percent == 100 and not job.upload
    assert not (tmp_path / stored).exists()
    assert FailureMode.objects.filter(team=team_a).count() == 5
    body = client_for(bob).get(f"/api/v1/imports/{job.pk}/").json()
    assert body["status"] == "done" and body["summary"]["created"]["steps"] == 4


def test_a_file_over_the_limit_is_refused_without_reading_it(reference, team_a, bob, settings):
    settings.IMPORT_MAX_BYTES = 100
    response = upload(client_for(bob), team_a, b"x" * 1000)
    assert response.status_code == 400
    assert "the limit is 100 bytes" in response.json()["errors"][0]["message"]


def test_json_is_not_accepted(reference, team_a, bob):
    response = client_for(bob).post("/api/v1/imports/", {"team": team_a.pk}, format="json")
    assert response.status_code == 415
