"""The baselines resource: owners freeze and approve, anyone in the team reads and
diffs, nobody edits or deletes; other teams' baselines are 404."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry.models import Baseline, FailureMode, Membership
from registry.services import baselines
from tests.factories import ApplicationFactory, FailureModeFactory, StepFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/baselines/"


@pytest.fixture
def app(team_a):
    application = ApplicationFactory(team=team_a, name="Order processing")
    step = StepFactory(application=application, order=1, name="Pay")
    FailureModeFactory(step=step, mode="Card declined", severity=5, probability=5, detectability=5)
    FailureModeFactory(step=step, mode="Timeout", severity=4, probability=2, detectability=2)
    return application


def test_an_owner_freezes_and_another_owner_approves(api, app, alice, team_a):
    response = api.as_user(alice).post(URL, {"application": app.pk, "title": "Q3 review"})
    assert response.status_code == 201, response.data
    body = response.json()
    assert (body["number"], body["title"], body["created_by"]) == (1, "Q3 review", "alice")
    assert (body["approved_by"], body["stamp"]) == (None, "Revision 1, not approved")

    owen = UserFactory(username="owen")
    Membership.objects.create(team=team_a, user=owen, role="owner")
    refused = api.as_user(alice).post(f"{URL}{body['id']}/approve/")
    assert refused.status_code == 400
    assert "another owner approves it: owen" in refused.json()["non_field_errors"][0]
    approved = api.as_user(owen).post(f"{URL}{body['id']}/approve/")
    assert approved.status_code == 200
    assert approved.json()["approved_by"] == "owen"
    assert approved.json()["stamp"].startswith("Revision 1, approved by owen on ")


def test_editors_and_viewers_cannot_freeze_or_approve(api, app, alice, bob, victor):
    for user in (bob, victor):
        response = api.as_user(user).post(URL, {"application": app.pk, "title": "Mine"})
        assert response.status_code == 403
    baseline = baselines.freeze(application=app, user=alice, title="Q3")
    assert api.as_user(bob).post(f"{URL}{baseline.pk}/approve/").status_code == 403
    assert api.as_user(victor).get(f"{URL}{baseline.pk}/").status_code == 200


def test_a_baseline_cannot_be_edited_or_deleted(api, app, alice):
    baseline = baselines.freeze(application=app, user=alice, title="Q3")
    client = api.as_user(alice)
    for method in (client.put, client.patch, client.delete):
        assert method(f"{URL}{baseline.pk}/", {"title": "x"}).status_code == 405
    assert Baseline.objects.get().title == "Q3"


def test_another_teams_baselines_are_not_found(api, app, alice, charlie):
    baseline = baselines.freeze(application=app, user=alice, title="Q3")
    client = api.as_user(charlie)
    assert client.get(f"{URL}{baseline.pk}/").status_code == 404
    assert client.get(f"{URL}{baseline.pk}/diff/?against=current").status_code == 404
    assert client.get(URL).json()["count"] == 0
    response = client.post(URL, {"application": app.pk, "title": "Theirs"})
    assert response.status_code == 400 and "application" in response.json()


def test_the_diff_against_now_and_between_revisions(api, app, alice, victor):
    """One rating changed, one row added, one deleted: exactly those three."""
    first = baselines.freeze(application=app, user=alice, title="Q3")
    step = app.steps.get()
    card = FailureMode.objects.get(mode="Card declined")
    card.severity = 9
    card.save()
    FailureModeFactory(
        step=step, mode="Fraud check slow", severity=3, probability=3, detectability=3
    )
    FailureMode.objects.get(mode="Timeout").delete()
    client = api.as_user(victor)
    response = client.get(f"{URL}{first.pk}/diff/?against=current")
    assert response.status_code == 200
    body = response.json()
    assert (body["before"], body["after"]) == ("Rev 1", "now")
    assert body["counts"] == {"added": 1, "removed": 1, "changed": 1}
    assert [(c["kind"], c["mode"]) for c in body["changes"]] == [
        ("changed", "Card declined"),
        ("added", "Fraud check slow"),
        ("removed", "Timeout"),
    ]
    changed = body["changes"][0]
    assert changed["severity"] == {"before": 5, "after": 9}
    assert changed["rpn"] == {"before": 125, "after": 225}
    assert body["changes"][2]["rpn"] == {"before": 16, "after": None}

    second = baselines.freeze(application=app, user=alice, title="Q4")
    between = client.get(f"{URL}{second.pk}/diff/?against={first.pk}").json()
    assert (between["before"], between["after"]) == ("Rev 1", "Rev 2")
    assert between["counts"] == {"added": 1, "removed": 1, "changed": 1}


@pytest.mark.parametrize("against", ["", "latest", "999999"])
def test_a_diff_against_nothing_known_is_400(api, app, alice, against):
    baseline = baselines.freeze(application=app, user=alice, title="Q3")
    response = api.as_user(alice).get(f"{URL}{baseline.pk}/diff/?against={against}")
    assert response.status_code == 400
    assert "against" in response.json()


def test_the_list_makes_a_fixed_number_of_queries(api, app, alice, team_a):
    other = ApplicationFactory(team=team_a, name="Search")
    client = api.as_user(alice)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    baselines.freeze(application=app, user=alice, title="Q3")
    few = queries()
    for n in range(3):
        baselines.freeze(application=other, user=alice, title=f"S{n}")
    assert queries() == few


def test_the_report_downloads_as_pdf_or_xlsx(api, app, alice, victor, charlie):
    baseline = baselines.freeze(application=app, user=alice, title="Q3")
    client = api.as_user(victor)
    pdf = client.get(f"{URL}{baseline.pk}/report.pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"] == 'attachment; filename="Order-processing-rev-1.pdf"'
    xlsx = client.get(f"{URL}{baseline.pk}/report.xlsx/")
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    assert client.get(f"{URL}{baseline.pk}/report.doc/").status_code == 404
    assert api.as_user(charlie).get(f"{URL}{baseline.pk}/report.pdf/").status_code == 404
