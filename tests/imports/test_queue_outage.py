"""A large upload received while the broker is unreachable is failed at once (503 with
Retry-After; the Imports page says so) instead of waiting "queued" for ever; an upload
retried with its Idempotency-Key is imported once."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from registry.imports.tasks import import_worksheet_task
from registry.models import FailureMode, WorksheetImport

# The job must commit before its task is queued: the queueing happens at commit.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api(bob):
    client = APIClient()
    client.force_authenticate(bob)
    return client


def upload(api, team, data: bytes, **headers):
    return api.post(
        "/api/v1/imports/",
        {"team": team.pk, "file": SimpleUploadedFile("sheet.csv", data)},
        format="multipart",
        **headers,
    )


def test_a_large_upload_answers_503_and_its_job_is_failed_when_the_broker_is_down(
    reference, team_a, api, sample_bytes, settings, broker_down
):
    settings.IMPORT_INLINE_MAX_BYTES = 10
    settings.JOB_QUEUE_RETRY_AFTER_SECONDS = 30
    response = upload(api, team_a, sample_bytes)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    job = WorksheetImport.objects.get()
    assert job.status == "failed"
    assert "the task queue is unreachable" in job.errors[0]["message"]
    assert not FailureMode.objects.exists()


def test_the_imports_page_says_the_import_was_not_started(
    reference, team_a, bob, sample_bytes, settings, broker_down
):
    settings.IMPORT_INLINE_MAX_BYTES = 10
    client = Client()
    client.force_login(bob)
    response = client.post(
        "/imports/", {"file": SimpleUploadedFile("big.csv", sample_bytes)}, follow=True
    )
    assert response.status_code == 200
    assert WorksheetImport.objects.get().status == "failed"
    assert "The import — Not started: the task queue is unreachable." in (
        response.content.decode()
    )


def test_a_small_upload_is_imported_while_the_broker_is_down(
    reference, team_a, api, sample_bytes, broker_down
):
    """Imported in the request: no task, no broker needed."""
    response = upload(api, team_a, sample_bytes)
    assert response.status_code == 201
    assert FailureMode.objects.exists()


def test_an_upload_retried_with_its_key_is_imported_once(reference, team_a, api, sample_bytes):
    first = upload(api, team_a, sample_bytes, HTTP_IDEMPOTENCY_KEY="upload-1")
    count = FailureMode.objects.count()
    again = upload(api, team_a, sample_bytes, HTTP_IDEMPOTENCY_KEY="upload-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert FailureMode.objects.count() == count > 0
    assert WorksheetImport.objects.count() == 1


def test_a_large_upload_retried_with_its_key_is_queued_once_and_answered_202(
    reference, team_a, api, sample_bytes, settings, capture_queued
):
    settings.IMPORT_INLINE_MAX_BYTES = 10
    ids = capture_queued(import_worksheet_task)
    first = upload(api, team_a, sample_bytes, HTTP_IDEMPOTENCY_KEY="upload-2")
    again = upload(api, team_a, sample_bytes, HTTP_IDEMPOTENCY_KEY="upload-2")
    assert (first.status_code, again.status_code) == (202, 202)
    assert ids == [first.json()["id"]]
    assert WorksheetImport.objects.count() == 1


def test_the_same_key_with_another_file_is_refused_and_nothing_is_imported(
    reference, team_a, api, sample_bytes
):
    """A key names one upload: the same key with other bytes, or with the same bytes
    as a dry run, is a 422 and imports nothing."""
    first = upload(api, team_a, sample_bytes, HTTP_IDEMPOTENCY_KEY="upload-3")
    count = FailureMode.objects.count()
    edited = sample_bytes.replace(b"\n", b"\r\n")
    other = upload(api, team_a, edited, HTTP_IDEMPOTENCY_KEY="upload-3")
    assert other.status_code == 422
    assert other.json()["detail"] == (
        f"This Idempotency-Key was used for a different request (worksheet import "
        f"{first.json()['id']}). Send a new key with a new request."
    )
    dry = api.post(
        "/api/v1/imports/",
        {
            "team": team_a.pk,
            "file": SimpleUploadedFile("sheet.csv", sample_bytes),
            "dry_run": True,
        },
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="upload-3",
    )
    assert dry.status_code == 422
    assert FailureMode.objects.count() == count
    assert WorksheetImport.objects.count() == 1
