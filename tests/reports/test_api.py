"""reports/ and report-schedules/ in the API: every member may request and download
reports; schedules need the editor role; other teams' rows are 404."""

import pytest
from django_celery_beat.models import PeriodicTask
from rest_framework.test import APIClient

from registry.models import ReportRun, ReportSchedule
from registry.reports import runs


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def done_run(register_a, team_a, alice):
    run = runs.request_report(team=team_a, user=alice, format="csv", scope={})
    assert runs.generate(run.pk) == "done"
    return run


def test_it_requires_login(db):
    assert APIClient().get("/api/v1/reports/").status_code == 401


@pytest.mark.parametrize("persona", ["alice", "bob", "victor"])
def test_every_member_may_request_a_report(persona, request, register_a, team_a):
    """Viewers too: a report is a read-only artefact of the register."""
    user = request.getfixturevalue(persona)
    response = client_for(user).post(
        "/api/v1/reports/",
        {"team": team_a.pk, "format": "xlsx", "tiers": [1], "statuses": ["open"], "min_rpn": 10},
        format="json",
    )
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "queued" and body["download_url"] is None
    assert (body["format"], body["tiers"], body["statuses"], body["min_rpn"]) == (
        "xlsx",
        [1],
        ["open"],
        10,
    )
    assert body["requested_by"] == persona
    assert ReportRun.objects.get(pk=body["id"]).requested_by == user


def test_a_report_of_another_team_cannot_be_requested(register_a, team_a, charlie):
    response = client_for(charlie).post(
        "/api/v1/reports/", {"team": team_a.pk, "format": "pdf"}, format="json"
    )
    assert response.status_code == 400
    assert "team" in response.json()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"format": "docx"}, "format"),
        ({"format": "pdf", "min_rpn": 0}, "min_rpn"),
        ({"format": "pdf", "statuses": ["lost"]}, "statuses"),
        ({"format": "pdf", "action_priorities": ["X"]}, "action_priorities"),
        ({"format": "pdf", "tiers": ["one"]}, "tiers"),
    ],
)
def test_a_bad_scope_is_a_400(payload, field, register_a, team_a, alice):
    response = client_for(alice).post(
        "/api/v1/reports/", {"team": team_a.pk, **payload}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()


def test_an_application_of_another_team_is_not_in_scope(register_a, team_a, alice):
    *_, b_app = register_a
    response = client_for(alice).post(
        "/api/v1/reports/",
        {"team": team_a.pk, "format": "pdf", "applications": [b_app.pk]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"applications": [f"No application {b_app.pk} in the team."]}


def test_status_progress_and_download_url(done_run, victor):
    body = client_for(victor).get(f"/api/v1/reports/{done_run.pk}/").json()
    assert body["status"] == "done"
    assert body["progress_percent"] == 100 and body["row_count"] == 1
    assert body["download_url"].endswith(f"/api/v1/reports/{done_run.pk}/download/")
    response = client_for(victor).get(body["download_url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert "attachment" in response["Content-Disposition"]
    assert b"Primary database fails" in b"".join(response.streaming_content)


def test_another_team_sees_no_run_and_cannot_download_it(done_run, charlie):
    client = client_for(charlie)
    assert client.get(f"/api/v1/reports/{done_run.pk}/").status_code == 404
    assert client.get(f"/api/v1/reports/{done_run.pk}/download/").status_code == 404
    assert client.get("/api/v1/reports/").json()["count"] == 0


def test_a_run_not_done_cannot_be_downloaded(register_a, team_a, alice):
    run = runs.request_report(team=team_a, user=alice, format="csv", scope={})
    response = client_for(alice).get(f"/api/v1/reports/{run.pk}/download/")
    assert response.status_code == 409
    assert "queued" in response.json()["detail"]


def test_runs_cannot_be_changed_or_deleted(done_run, alice):
    client = client_for(alice)
    assert client.patch(f"/api/v1/reports/{done_run.pk}/", {}, format="json").status_code == 405
    assert client.delete(f"/api/v1/reports/{done_run.pk}/").status_code == 405


def test_the_list_runs_a_fixed_number_of_queries(done_run, alice, django_assert_max_num_queries):
    client = client_for(alice)
    with django_assert_max_num_queries(6):
        first = client.get("/api/v1/reports/")
    for _ in range(5):
        runs.request_report(team=done_run.team, user=alice, format="pdf", scope={})
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/reports/").json()["count"] == first.json()["count"] + 5


# --- schedules ------------------------------------------------------------------------


SCHEDULE = {
    "name": "Weekly",
    "format": "pdf",
    "crontab": "0 7 * * 1",
    "recipients": "boss@example.com",
    "tiers": [1],
}


def test_an_editor_makes_a_schedule_and_its_beat_entry(register_a, team_a, bob):
    response = client_for(bob).post(
        "/api/v1/report-schedules/", {"team": team_a.pk, **SCHEDULE}, format="json"
    )
    assert response.status_code == 201, response.json()
    schedule = ReportSchedule.objects.get(pk=response.json()["id"])
    assert schedule.created_by == bob and schedule.tiers == [1]
    assert PeriodicTask.objects.get(pk=schedule.periodic_task_id).enabled


def test_a_viewer_cannot_make_a_schedule(register_a, team_a, victor):
    response = client_for(victor).post(
        "/api/v1/report-schedules/", {"team": team_a.pk, **SCHEDULE}, format="json"
    )
    assert response.status_code == 403
    assert not ReportSchedule.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [({"crontab": "weekly"}, "crontab"), ({"recipients": "nobody"}, "recipients")],
)
def test_a_bad_schedule_is_a_400(change, field, register_a, team_a, bob):
    response = client_for(bob).post(
        "/api/v1/report-schedules/", {"team": team_a.pk, **SCHEDULE, **change}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()


def test_pausing_and_deleting_a_schedule_follow_through_to_beat(register_a, team_a, bob, charlie):
    client = client_for(bob)
    created = client.post(
        "/api/v1/report-schedules/", {"team": team_a.pk, **SCHEDULE}, format="json"
    ).json()
    url = f"/api/v1/report-schedules/{created['id']}/"
    assert client_for(charlie).get(url).status_code == 404
    assert client.patch(url, {"enabled": False}, format="json").status_code == 200
    task = PeriodicTask.objects.get(name=f"report-schedule-{created['id']}")
    assert not task.enabled
    assert client.delete(url).status_code == 204
    assert not PeriodicTask.objects.filter(pk=task.pk).exists()


BAD_CODES = {"statuses": ["lost"], "action_priorities": ["X"]}
BAD_CODE_MESSAGES = {
    "statuses": ["'lost' is not one of open, mitigating, accepted, closed."],
    "action_priorities": ["'X' is not one of H, M, L."],
}


@pytest.mark.parametrize("path", ["/api/v1/reports/", "/api/v1/report-schedules/"])
def test_bad_scope_codes_are_refused_in_the_models_words(path, register_a, team_a, bob):
    """The scope's codes are checked once, by the model (ReportScope.clean_scope): the
    API says what the admin says."""
    payload = {"team": team_a.pk, "format": "pdf", **BAD_CODES}
    if "schedules" in path:
        payload |= {"name": "Weekly", "crontab": "0 7 * * 1", "recipients": "a@example.com"}
    response = client_for(bob).post(path, payload, format="json")
    assert response.status_code == 400
    assert response.json() == BAD_CODE_MESSAGES


def test_the_admin_refuses_bad_scope_codes_in_the_same_words(admin_client, team_a):
    from django.urls import reverse

    response = admin_client.post(
        reverse("admin:registry_reportschedule_add"),
        {
            "team": team_a.pk,
            "name": "Weekly",
            "format": "pdf",
            "crontab": "0 7 * * 1",
            "recipients": "a@example.com",
            "tiers": "[]",
            "applications": "[]",
            "statuses": '["lost"]',
            "action_priorities": '["X"]',
        },
    )
    assert response.status_code == 200  # the form again
    errors = response.context["adminform"].form.errors
    assert {name: errors[name] for name in BAD_CODES} == BAD_CODE_MESSAGES
    assert not ReportSchedule.objects.exists()
