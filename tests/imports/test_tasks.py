"""A large upload is stored by the import service and queued by the interface that
received it (API or Imports page); a small one is imported at once and queues nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from registry.imports.tasks import import_worksheet_task
from registry.models import WorksheetImport


@pytest.fixture
def queued(capture_queued):
    """The import ids handed to the import task's `apply_async`."""
    return capture_queued(import_worksheet_task)


@pytest.fixture
def api(bob):
    client = APIClient()
    client.force_authenticate(bob)
    return client


def test_the_api_queues_a_large_upload_once_it_is_stored(
    reference, team_a, api, sample_bytes, settings, queued, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_MAX_BYTES = 10
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/imports/",
            {"team": team_a.pk, "file": SimpleUploadedFile("big.csv", sample_bytes)},
            format="multipart",
        )
    assert response.status_code == 202
    assert queued == [response.json()["id"]]


def test_the_imports_page_queues_a_large_upload(
    reference, team_a, bob, sample_bytes, settings, queued, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_MAX_BYTES = 10
    client = Client()
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/imports/", {"file": SimpleUploadedFile("big.csv", sample_bytes)})
    assert response.status_code == 302
    job = WorksheetImport.objects.get()
    assert (job.status, queued) == ("queued", [job.pk])


def test_a_small_upload_is_imported_at_once_and_queues_nothing(
    reference, team_a, api, sample_bytes, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/imports/",
            {"team": team_a.pk, "file": SimpleUploadedFile("small.csv", sample_bytes)},
            format="multipart",
        )
    assert response.status_code == 201
    assert queued == []
