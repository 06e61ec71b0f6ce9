"""Tasks depend one way (the services never import them: the import-linter contracts
check that); the interfaces that request a run queue its generation once their
transaction commits."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from registry.models import ReportRun
from registry.reports.tasks import generate_report_task


@pytest.fixture
def queued(capture_queued):
    """The run ids handed to the generation task's `apply_async`."""
    return capture_queued(generate_report_task)


def test_the_api_queues_the_run_once_the_request_commits(
    register_a, team_a, alice, queued, django_capture_on_commit_callbacks
):
    client = APIClient()
    client.force_authenticate(alice)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            "/api/v1/reports/", {"team": team_a.pk, "format": "csv"}, format="json"
        )
        assert queued == []  # not before the run is committed
    assert response.status_code == 202
    assert len(callbacks) == 1
    assert queued == [response.json()["id"]]


def test_the_reports_page_queues_the_run_once_the_request_commits(
    register_a, alice, queued, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/reports/", {"format": "pdf"})
    assert response.status_code == 302
    assert queued == [ReportRun.objects.get().pk]


def test_a_refused_request_queues_nothing(
    register_a, team_a, alice, queued, django_capture_on_commit_callbacks
):
    client = APIClient()
    client.force_authenticate(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/reports/", {"team": team_a.pk, "format": "doc"}, format="json"
        )
    assert response.status_code == 400
    assert queued == [] and not ReportRun.objects.exists()
