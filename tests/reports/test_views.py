"""The Reports page in the browser: request with scope filters, progress, download,
past runs, and schedules."""

from django.test import Client
from django_celery_beat.models import PeriodicTask

from registry.models import ReportRun, ReportSchedule
from registry.reports import runs


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_requires_login(db):
    response = Client().get("/reports/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_viewer_requests_a_report_with_filters(register_a, team_a, victor):
    app, *_ = register_a
    client = logged_in(victor)
    page = client.get("/reports/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Request a report" in html and "Order processing" in html
    assert "Secret B app" not in html
    response = client.post(
        "/reports/",
        {
            "format": "pdf",
            "tiers": ["1"],
            "applications": [str(app.pk)],
            "statuses": ["open"],
            "min_rpn": "20",
            "action_priorities": ["H", "M"],
        },
    )
    assert response.status_code == 302
    run = ReportRun.objects.get()
    assert (run.team, run.requested_by, run.format) == (team_a, victor, "pdf")
    assert (run.tiers, run.applications, run.statuses, run.min_rpn) == (
        [1],
        [app.pk],
        ["open"],
        20,
    )
    assert run.action_priorities == ["H", "M"]
    html = client.get("/reports/").content.decode()
    assert f'hx-get="/reports/{run.pk}/row/"' in html  # polled until finished
    assert "<progress" in html


def test_an_invalid_request_shows_the_form_again(register_a, alice):
    response = logged_in(alice).post("/reports/", {"format": "pdf", "min_rpn": "2000"})
    assert response.status_code == 422
    assert "Ensure this value is less than or equal to 1000" in response.content.decode()
    assert not ReportRun.objects.exists()


def test_a_finished_row_stops_polling_and_offers_the_download(register_a, team_a, alice):
    run = runs.request_report(team=team_a, user=alice, format="csv", scope={})
    runs.generate(run.pk)
    client = logged_in(alice)
    row = client.get(f"/reports/{run.pk}/row/").content.decode()
    assert "hx-get" not in row and f"/reports/{run.pk}/download/" in row
    download = client.get(f"/reports/{run.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv"
    assert b"Primary database fails" in b"".join(download.streaming_content)


def test_another_team_gets_404_for_the_row_and_the_file(register_a, team_a, alice, charlie):
    run = runs.request_report(team=team_a, user=alice, format="csv", scope={})
    runs.generate(run.pk)
    client = logged_in(charlie)
    assert client.get(f"/reports/{run.pk}/row/").status_code == 404
    assert client.get(f"/reports/{run.pk}/download/").status_code == 404
    assert f"#{run.pk}" not in client.get("/reports/").content.decode()


def test_a_failed_run_shows_its_error(register_a, team_a, alice, settings):
    settings.REPORT_PDF_MAX_ROWS = 0
    run = runs.request_report(team=team_a, user=alice, format="pdf", scope={})
    runs.generate(run.pk)
    html = logged_in(alice).get(f"/reports/{run.pk}/row/").content.decode()
    assert "Failed" in html and "holds at most 0" in html


def test_an_editor_manages_schedules(register_a, team_a, bob):
    client = logged_in(bob)
    assert client.get("/reports/schedules/new/").status_code == 200
    response = client.post(
        "/reports/schedules/new/",
        {
            "name": "Monday risk",
            "format": "xlsx",
            "crontab": "0 7 * * 1",
            "recipients": "boss@example.com",
            "enabled": "on",
            "tiers": ["1"],
        },
    )
    assert response.status_code == 302
    schedule = ReportSchedule.objects.get()
    assert (schedule.team, schedule.created_by, schedule.tiers) == (team_a, bob, [1])
    assert "Monday risk" in client.get("/reports/").content.decode()

    edit = f"/reports/schedules/{schedule.pk}/edit/"
    assert 'value="Monday risk"' in client.get(edit).content.decode()
    bad = client.post(edit, {"name": "Monday risk", "format": "xlsx", "crontab": "mondays"})
    assert bad.status_code == 422
    assert "Give five fields" in bad.content.decode()

    assert client.post(f"/reports/schedules/{schedule.pk}/delete/").status_code == 302
    assert not ReportSchedule.objects.exists() and not PeriodicTask.objects.exists()


def test_a_viewer_cannot_manage_schedules(register_a, victor):
    client = logged_in(victor)
    assert client.get("/reports/schedules/new/").status_code == 403
    assert "New schedule" not in client.get("/reports/").content.decode()
