"""A report requested while the broker is unreachable is failed at once and the client
told to retry (503, Retry-After; the Reports page says so): no run is left "queued" with
no task to run it. A request retried with its Idempotency-Key makes no second run."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from registry.models import ReportRun
from registry.reports.tasks import generate_report_task

# The run must commit before its task is queued: the queueing happens at commit.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


@pytest.fixture
def queued(capture_queued):
    """The run ids handed to the generation task."""
    return capture_queued(generate_report_task)


def test_the_api_answers_503_and_fails_the_run_when_the_broker_is_down(
    register_a, team_a, api, broker_down, settings
):
    settings.JOB_QUEUE_RETRY_AFTER_SECONDS = 30
    response = api.post("/api/v1/reports/", {"team": team_a.pk, "format": "csv"}, format="json")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "task queue is unreachable" in response.json()["detail"]
    run = ReportRun.objects.get()
    assert run.status == "failed"
    assert run.error == "Not started: the task queue is unreachable. Try again in 30 seconds."
    assert run.finished_at is not None


def test_the_reports_page_says_the_report_was_not_started(register_a, alice, broker_down):
    client = Client()
    client.force_login(alice)
    response = client.post("/reports/", {"format": "pdf"}, follow=True)
    assert response.status_code == 200
    run = ReportRun.objects.get()
    assert run.status == "failed"
    page = response.content.decode()
    assert f"Report #{run.pk} — Not started: the task queue is unreachable." in page


def test_a_retry_with_the_same_idempotency_key_gets_the_same_run(register_a, team_a, api, queued):
    body = {"team": team_a.pk, "format": "csv"}
    first = api.post("/api/v1/reports/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post("/api/v1/reports/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json()
    assert ReportRun.objects.count() == 1
    assert queued == [first.json()["id"]]  # queued once


def test_the_same_key_for_another_report_is_refused_and_changes_nothing(
    register_a, team_a, api, queued
):
    """A key names one request: reused for a different report it is a 422, and neither
    the first run nor the queue changes."""
    first = api.post(
        "/api/v1/reports/",
        {"team": team_a.pk, "format": "csv"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    other = api.post(
        "/api/v1/reports/",
        {"team": team_a.pk, "format": "pdf"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert other.status_code == 422
    assert other.json() == {
        "detail": f"This Idempotency-Key was used for a different request (report run "
        f"{first.json()['id']}). Send a new key with a new request."
    }
    assert list(ReportRun.objects.values_list("format", flat=True)) == ["csv"]
    assert queued == [first.json()["id"]]
    scoped = api.post(
        "/api/v1/reports/",
        {"team": team_a.pk, "format": "csv", "tiers": ["1"]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert scoped.status_code == 422  # the scope is part of the request too


def test_another_key_or_no_key_makes_another_run(register_a, team_a, api, queued):
    body = {"team": team_a.pk, "format": "csv"}
    api.post("/api/v1/reports/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    api.post("/api/v1/reports/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    api.post("/api/v1/reports/", body, format="json")
    assert ReportRun.objects.count() == 3 and len(queued) == 3


def test_the_same_key_of_another_user_is_another_run(register_a, team_a, api, bob, queued):
    body = {"team": team_a.pk, "format": "csv"}
    api.post("/api/v1/reports/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = APIClient()
    other.force_authenticate(bob)
    response = other.post("/api/v1/reports/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 202
    assert ReportRun.objects.count() == 2


def test_a_retry_after_503_with_the_same_key_makes_a_new_run(
    register_a, team_a, api, broker_down, capture_queued
):
    """The failed run released its key: the retry, once the broker is back, is queued."""
    body = {"team": team_a.pk, "format": "csv"}
    down = api.post("/api/v1/reports/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-9")
    assert down.status_code == 503
    ids = capture_queued(generate_report_task)
    retry = api.post("/api/v1/reports/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-9")
    assert retry.status_code == 202
    failed = ReportRun.objects.get(status="failed")
    assert retry.json()["id"] != failed.pk and failed.idempotency_key is None
    assert ids == [retry.json()["id"]]


def test_a_malformed_idempotency_key_is_refused(register_a, team_a, api):
    response = api.post(
        "/api/v1/reports/",
        {"team": team_a.pk, "format": "csv"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="x" * 101,
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert not ReportRun.objects.exists()
