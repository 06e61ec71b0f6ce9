"""Incident pages: the list with its filters, an incident's page, recording one, linking
from either side, the evidence on a failure mode's page with its adopt button, and the
owners' receivers page."""

import datetime

import pytest
from django.utils import timezone

from registry.models import Incident, IncidentReceiver, PagerDutyService
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def recent(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def three_in_a_year(register) -> None:
    """Three incidents of the register's failure mode, each detected after 3 minutes."""
    for days in (30, 90, 200):
        IncidentFactory(
            team=register.app.team,
            started_at=recent(days),
            detected_at=recent(days) + datetime.timedelta(minutes=3),
            failure_modes=[register.fm],
        )


def test_the_list_shows_the_teams_incidents_only(as_victor, register):
    IncidentFactory(
        team=register.app.team, title="Orders table locked", failure_modes=[register.fm]
    )
    IncidentFactory(team=register.b_app.team, title="Secret B outage")

    html = as_victor.get("/incidents/").content.decode()

    assert "Orders table locked" in html
    assert "Secret B outage" not in html


def test_the_list_filters_by_source(as_victor, register):
    IncidentFactory(
        team=register.app.team, title="From PagerDuty", source="pagerduty", external_id="P1"
    )
    IncidentFactory(team=register.app.team, title="By hand")

    html = as_victor.get("/incidents/?source=pagerduty").content.decode()

    assert "From PagerDuty" in html and "By hand" not in html


def test_the_list_makes_a_fixed_number_of_queries(as_alice, register, fixed_queries):
    IncidentFactory(team=register.app.team, failure_modes=[register.fm])

    def grow():
        for _ in range(29):
            incident = IncidentFactory(team=register.app.team, failure_modes=[register.fm])
            incident.components.add(register.component)

    assert fixed_queries(as_alice, "/incidents/", grow) <= 10


def test_the_empty_list_says_how_to_start(as_victor, register):
    html = as_victor.get("/incidents/").content.decode()
    assert "No incidents yet" in html and "receivers page" in html


def test_an_editor_records_an_incident_and_a_bad_time_changes_nothing(as_bob, register):
    bad = as_bob.post(
        "/incidents/new/",
        {
            "title": "Checkout slow",
            "severity": "high",
            "started_at": "2026-11-02T10:00",
            "detected_at": "2026-11-02T09:00",
            "failure_modes": [register.fm.pk],
        },
    )
    assert bad.status_code == 422
    assert "cannot be detected before it started" in bad.content.decode()
    assert not Incident.objects.exists()

    good = as_bob.post(
        "/incidents/new/",
        {
            "title": "Checkout slow",
            "severity": "high",
            "started_at": "2026-11-02T10:00",
            "detected_at": "2026-11-02T10:40",
            "failure_modes": [register.fm.pk],
            "components": [register.component.pk],
        },
    )
    assert good.status_code == 302
    incident = Incident.objects.get()
    assert list(incident.failure_modes.all()) == [register.fm]
    page = as_bob.get(good["Location"]).content.decode()
    assert "40 min" in page and "Primary database fails" in page


def test_another_teams_failure_mode_cannot_be_linked(as_bob, register):
    incident = IncidentFactory(team=register.app.team)

    as_bob.post("/incidents/link/", {"incident": incident.pk, "failure_mode": register.b_fm.pk})

    assert incident.failure_modes.count() == 0


def test_an_incident_is_linked_from_the_failure_modes_page_and_unlinked(as_bob, register):
    incident = IncidentFactory(team=register.app.team, title="Replica lag")
    page = as_bob.get(f"/failure-modes/{register.fm.pk}/").content.decode()
    assert "Link an incident" in page and "Replica lag" in page

    as_bob.post(
        "/incidents/link/",
        {
            "incident": incident.pk,
            "failure_mode": register.fm.pk,
            "next": f"/failure-modes/{register.fm.pk}/",
        },
    )
    assert list(incident.failure_modes.all()) == [register.fm]
    as_bob.post(
        "/incidents/link/",
        {"incident": incident.pk, "failure_mode": register.fm.pk, "unlink": "1"},
    )
    assert incident.failure_modes.count() == 0


def test_the_failure_modes_page_shows_evidence_against_its_rating_and_adopts_it(as_bob, register):
    """Probability 4 against three incidents in a year (observed 6): contradicted."""
    three_in_a_year(register)

    page = as_bob.get(f"/failure-modes/{register.fm.pk}/").content.decode()

    assert "Evidence from incidents" in page
    assert "contradicted" in page
    assert "Adopt 6" in page
    response = as_bob.post(
        f"/failure-modes/{register.fm.pk}/adopt-evidence/", {"scale": "probability"}
    )
    assert response.status_code == 302
    register.fm.refresh_from_db()
    assert register.fm.probability == 6
    page = as_bob.get(f"/failure-modes/{register.fm.pk}/").content.decode()
    assert "Probability 6 adopted from incidents" in page


def test_a_viewer_cannot_adopt(as_victor, register):
    IncidentFactory(team=register.app.team, started_at=recent(10), failure_modes=[register.fm])

    response = as_victor.post(
        f"/failure-modes/{register.fm.pk}/adopt-evidence/", {"scale": "probability"}
    )

    assert response.status_code in (403, 404)
    register.fm.refresh_from_db()
    assert register.fm.probability == 4


def test_an_owner_issues_a_token_shown_once_and_maps_a_pagerduty_service(as_alice, register):
    issued = as_alice.post("/incidents/receivers/", {"source": "pagerduty", "what": "rotate"})
    receiver = IncidentReceiver.objects.get()
    page = issued.content.decode()
    assert "shown only now" in page
    assert f"…{receiver.token_hint}" in as_alice.get("/incidents/receivers/").content.decode()
    assert "shown only now" not in as_alice.get("/incidents/receivers/").content.decode()

    as_alice.post(
        "/incidents/receivers/",
        {
            "source": "pagerduty",
            "what": "map",
            "service_id": "PF9KMXH",
            "component": register.component.pk,
        },
    )
    assert PagerDutyService.objects.get().component == register.component


def test_an_editor_cannot_issue_tokens(as_bob, register):
    as_bob.post("/incidents/receivers/", {"source": "alertmanager", "what": "rotate"})
    assert not IncidentReceiver.objects.exists()


def test_the_worksheet_flags_a_rating_its_incidents_contradict(as_victor, register):
    """Probability 4 against three incidents in a year (observed 6): the cell links to the
    evidence; detectability 2 against detections after 3 minutes (observed 3) is only
    slightly worse."""
    three_in_a_year(register)

    html = as_victor.get(f"/steps/{register.step.pk}/").content.decode()

    assert f'href="/failure-modes/{register.fm.pk}/#evidence"' in html
    assert 'class="badge badge-danger"' in html and "→6" in html
    assert 'class="badge badge-warn"' in html and "→3" in html


def test_the_worksheet_makes_one_query_for_the_evidence_of_all_rows(
    as_alice, register, more_failure_modes, fixed_queries
):
    IncidentFactory(team=register.app.team, started_at=recent(5), failure_modes=[register.fm])

    fixed_queries(as_alice, f"/steps/{register.step.pk}/", more_failure_modes)
