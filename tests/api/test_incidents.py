"""Incidents over the API: create and link, the team boundary, validation that leaves
nothing behind, filters, history, flat list queries, and a failure mode's evidence and
adopting it."""

import datetime

import pytest

from registry.models import Incident
from tests.api.matrix import assert_list_queries_are_flat
from tests.factories import (
    ApplicationFactory,
    ComponentFactory,
    FailureModeFactory,
    IncidentFactory,
    StepFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]

INCIDENTS = "/api/v1/incidents/"


def failure_mode_of(team, **kwargs):
    return FailureModeFactory(
        step=StepFactory(application=ApplicationFactory(team=team)), **kwargs
    )


def test_an_editor_records_an_incident_linked_to_a_component_and_a_failure_mode(api, bob, team_a):
    component = ComponentFactory(team=team_a, name="orders-db")
    failure_mode = failure_mode_of(team_a)

    response = api.as_user(bob).post(
        INCIDENTS,
        {
            "team": team_a.pk,
            "title": "Orders DB failover stuck",
            "started_at": "2026-11-02T10:00:00Z",
            "detected_at": "2026-11-02T10:12:00Z",
            "resolved_at": "2026-11-02T11:00:00Z",
            "data_lost_seconds": 30,
            "components": [component.pk],
            "failure_modes": [failure_mode.pk],
        },
        format="json",
    )

    assert response.status_code == 201, response.data
    assert response.data["source"] == "api"
    assert response.data["detect_seconds"] == 720
    assert response.data["downtime_seconds"] == 3600
    incident = Incident.objects.get()
    assert list(incident.failure_modes.all()) == [failure_mode]
    assert list(incident.components.all()) == [component]


def test_another_teams_failure_mode_cannot_be_linked_and_nothing_is_written(
    api, bob, team_a, team_b
):
    theirs = failure_mode_of(team_b)

    response = api.as_user(bob).post(
        INCIDENTS,
        {
            "team": team_a.pk,
            "title": "x",
            "started_at": "2026-11-02T10:00:00Z",
            "failure_modes": [theirs.pk],
        },
        format="json",
    )

    assert response.status_code == 400
    assert "failure_modes" in response.data
    assert not Incident.objects.exists()


def test_detection_before_the_start_is_refused_on_its_field(api, bob, team_a):
    response = api.as_user(bob).post(
        INCIDENTS,
        {
            "team": team_a.pk,
            "title": "x",
            "started_at": "2026-11-02T10:00:00Z",
            "detected_at": "2026-11-02T09:00:00Z",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.data["detected_at"] == ["An incident cannot be detected before it started."]
    assert not Incident.objects.exists()


def test_a_second_incident_with_the_same_source_and_external_id_is_refused(api, bob, team_a):
    IncidentFactory(team=team_a, source="pagerduty", external_id="Q1")

    response = api.as_user(bob).post(
        INCIDENTS,
        {
            "team": team_a.pk,
            "title": "again",
            "started_at": "2026-11-02T10:00:00Z",
            "source": "pagerduty",
            "external_id": "Q1",
        },
        format="json",
    )

    assert response.status_code == 400
    assert "external_id" in response.data
    assert Incident.objects.count() == 1


def test_a_viewer_cannot_record_and_an_outsider_sees_nothing(api, victor, charlie, team_a):
    incident = IncidentFactory(team=team_a)

    refused = api.as_user(victor).post(
        INCIDENTS,
        {"team": team_a.pk, "title": "x", "started_at": "2026-11-02T10:00:00Z"},
        format="json",
    )
    assert refused.status_code == 403
    assert api.as_user(charlie).get(f"{INCIDENTS}{incident.pk}/").status_code == 404
    assert api.as_user(charlie).get(INCIDENTS).data["count"] == 0


def test_filters_by_failure_mode_component_source_and_dates(api, alice, team_a):
    failure_mode = failure_mode_of(team_a)
    component = ComponentFactory(team=team_a)
    linked = IncidentFactory(
        team=team_a,
        source="alertmanager",
        external_id="g1",
        started_at=datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC),
        failure_modes=[failure_mode],
    )
    linked.components.add(component)
    IncidentFactory(team=team_a, started_at=datetime.datetime(2026, 9, 1, tzinfo=datetime.UTC))
    client = api.as_user(alice)

    def ids(**query):
        response = client.get(INCIDENTS, query)
        assert response.status_code == 200, response.data
        return [row["id"] for row in response.data["results"]]

    assert ids(failure_mode=failure_mode.pk) == [linked.pk]
    assert ids(component=component.pk) == [linked.pk]
    assert ids(source="alertmanager") == [linked.pk]
    assert ids(started_to="2026-06-30") == [linked.pk]
    assert len(ids(started_from="2026-01-01")) == 2
    assert client.get(INCIDENTS, {"started_from": "March"}).status_code == 400


def test_history_shows_who_changed_the_links(api, alice, team_a):
    failure_mode = failure_mode_of(team_a)
    client = api.as_user(alice)
    created = client.post(
        INCIDENTS,
        {"team": team_a.pk, "title": "Lag", "started_at": "2026-11-02T10:00:00Z"},
        format="json",
    )
    path = f"{INCIDENTS}{created.data['id']}/"
    client.patch(path, {"failure_modes": [failure_mode.pk]}, format="json")

    history = client.get(f"{path}history/").data

    assert history[-1]["kind"] == "created"
    assert history[-1]["failure_modes"] == []
    assert history[0]["kind"] == "changed"
    assert history[0]["who"] == "alice"
    assert history[0]["failure_modes"] == [failure_mode.pk]


def test_the_list_runs_the_same_queries_for_10_and_500_rows(
    api, alice, team_a, django_assert_max_num_queries
):
    failure_mode = failure_mode_of(team_a)
    component = ComponentFactory(team=team_a)
    for number in range(12):
        incident = IncidentFactory(team=team_a, failure_modes=[failure_mode])
        incident.components.add(component)
        assert number is not None

    assert_list_queries_are_flat(
        api.as_user(alice), INCIDENTS, 12, 8, django_assert_max_num_queries
    )


def test_a_failure_modes_evidence_and_adopting_it(api, bob, team_a):
    now = datetime.datetime.now(datetime.UTC)
    failure_mode = failure_mode_of(team_a, probability=2, detectability=3)
    path = f"/api/v1/failure-modes/{failure_mode.pk}/"
    client = api.as_user(bob)
    assert client.get(f"{path}evidence/").status_code == 204
    for days in (20, 60, 100):
        IncidentFactory(
            team=team_a,
            started_at=now - datetime.timedelta(days=days),
            detected_at=now - datetime.timedelta(days=days) + datetime.timedelta(minutes=40),
            failure_modes=[failure_mode],
        )

    evidence = client.get(f"{path}evidence/").data
    assert evidence["incidents"] == 3
    assert evidence["observed_probability"] == 6
    assert evidence["median_detect_seconds"] == 2400
    assert evidence["observed_detectability"] == 5
    assert evidence["probability_contradicted"] and evidence["detectability_contradicted"]

    assert client.post(f"{path}adopt-evidence/", {"scale": "likelihood"}).status_code == 400
    adopted = client.post(f"{path}adopt-evidence/", {"scale": "detectability"}, format="json")
    assert adopted.status_code == 200, adopted.data
    assert adopted.data["detectability"] == 5
    assert adopted.data["probability"] == 2


def upload(client, team, text: str, **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        f"{INCIDENTS}import/",
        {"team": team.pk, "file": SimpleUploadedFile("past.csv", text.encode()), **extra},
        format="multipart",
    )


def test_past_incidents_are_imported_from_csv_all_or_nothing(api, bob, team_a):
    component = ComponentFactory(team=team_a, name="orders-db")
    failure_mode = failure_mode_of(team_a)
    header = "title,started_at,detected_at,resolved_at,source,external_id,components,failure_modes"
    good = (
        f"{header}\n"
        f"Failover stuck,2026-03-01T10:00:00Z,2026-03-01T10:40:00Z,2026-03-01T12:00:00Z,"
        f"pagerduty,PX1,Orders-DB,{failure_mode.pk}\n"
        "Disk full,2026-05-02 08:00,,,manual,,,\n"
    )
    bad = good + "Later detected,2026-06-01T10:00:00Z,2026-06-01T09:00:00Z,,,,,999999\n"
    client = api.as_user(bob)

    refused = upload(client, team_a, bad)
    assert refused.status_code == 400
    assert {(p["row"], p["column"]) for p in refused.data["problems"]} == {(4, "failure_modes")}
    assert not Incident.objects.exists()

    dry = upload(client, team_a, good, dry_run="true")
    assert dry.status_code == 200 and dry.data["summary"] == {"incidents": 2}
    assert not Incident.objects.exists()

    done = upload(client, team_a, good)
    assert done.status_code == 200, done.data
    stuck = Incident.objects.get(external_id="PX1")
    assert stuck.detect_seconds == 2400
    assert list(stuck.components.all()) == [component]
    assert list(stuck.failure_modes.all()) == [failure_mode]
    assert Incident.objects.get(title="Disk full").started_at == datetime.datetime(
        2026, 5, 2, 8, 0, tzinfo=datetime.UTC
    )
    again = upload(client, team_a, good)
    assert again.status_code == 400
    assert again.data["problems"][0]["column"] == "external_id"
    assert Incident.objects.count() == 2


def test_a_viewer_cannot_import(api, victor, team_a):
    response = upload(api.as_user(victor), team_a, "title,started_at\nx,2026-01-01T00:00:00Z\n")
    assert response.status_code == 403
    assert not Incident.objects.exists()
