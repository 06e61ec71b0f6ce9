"""The Alertmanager and PagerDuty receivers: payloads shaped as the vendors document
them (Alertmanager's webhook_config payload version 4; PagerDuty webhooks v3), one
incident per alert group or PagerDuty incident, replays that change nothing, and
refusals (token, signature, payload) that leave nothing behind."""

import copy
import datetime
import hashlib
import hmac
import json

import pytest

from registry.models import Incident, IncidentReceiver, PagerDutyService
from registry.services.incidents import rotate_receiver_token
from tests.factories import (
    ApplicationFactory,
    ComponentFactory,
    FailureModeFactory,
    IncidentFactory,
    StepFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]

ALERTMANAGER = "/api/v1/receivers/alertmanager/"
PAGERDUTY = "/api/v1/receivers/pagerduty/"
GROUP_KEY = '{}/{severity="critical"}:{alertname="OrdersDbDown"}'


def alert(status: str, **labels) -> dict:
    return {
        "status": status,
        "labels": {"alertname": "OrdersDbDown", "severity": "critical", **labels},
        "annotations": {"summary": "Orders database is down"},
        "startsAt": "2026-11-20T10:00:00.000Z",
        "endsAt": "2026-11-20T10:45:30.000Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph?g0.expr=up%7Bjob%3D%22orders-db%22%7D",
        "fingerprint": "c6b0f8a1d2e3f405",
    }


def alertmanager_payload(status: str, **labels) -> dict:
    """Alertmanager's documented webhook body, version 4."""
    return {
        "version": "4",
        "groupKey": GROUP_KEY,
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "fmea",
        "groupLabels": {"alertname": "OrdersDbDown"},
        "commonLabels": {"alertname": "OrdersDbDown", "severity": "critical", **labels},
        "commonAnnotations": {"summary": "Orders database is down"},
        "externalURL": "http://alertmanager:9093",
        "alerts": [alert(status, **labels)],
    }


def pagerduty_payload(event_type: str, occurred_at: str = "2026-11-20T10:05:00.000Z") -> dict:
    """PagerDuty's documented v3 webhook body for an incident event."""
    return {
        "event": {
            "id": "01DEN3KQ5AXXEXAMPLE",
            "event_type": event_type,
            "resource_type": "incident",
            "occurred_at": occurred_at,
            "agent": {
                "html_url": "https://acme.pagerduty.com/users/PLH1HKV",
                "id": "PLH1HKV",
                "self": "https://api.pagerduty.com/users/PLH1HKV",
                "summary": "Tenex Engineer",
                "type": "user_reference",
            },
            "client": None,
            "data": {
                "id": "PGR0VU2",
                "type": "incident",
                "self": "https://api.pagerduty.com/incidents/PGR0VU2",
                "html_url": "https://acme.pagerduty.com/incidents/PGR0VU2",
                "number": 2,
                "status": event_type.removeprefix("incident."),
                "incident_key": "d3640fbd41094207a1c11e58e46b1662",
                "created_at": "2026-11-20T10:02:00Z",
                "title": "Orders DB connection pool exhausted",
                "service": {
                    "html_url": "https://acme.pagerduty.com/services/PF9KMXH",
                    "id": "PF9KMXH",
                    "self": "https://api.pagerduty.com/services/PF9KMXH",
                    "summary": "Orders DB",
                    "type": "service_reference",
                },
                "assignees": [],
                "escalation_policy": {
                    "id": "PTUXL6G",
                    "type": "escalation_policy_reference",
                    "summary": "Engineering",
                },
                "teams": [],
                "priority": None,
                "urgency": "high",
                "conference_bridge": None,
                "resolve_reason": None,
            },
        }
    }


@pytest.fixture
def alertmanager_token(team_a, alice):
    return rotate_receiver_token(team_id=team_a.pk, source="alertmanager", user=alice)[1]


@pytest.fixture
def pagerduty_token(team_a, alice):
    receiver, token = rotate_receiver_token(team_id=team_a.pk, source="pagerduty", user=alice)
    receiver.signing_secret = "pd-signing-secret"
    receiver.save()
    return token


def post_alertmanager(api, token, payload):
    return api.post(ALERTMANAGER, payload, format="json", HTTP_AUTHORIZATION=f"Bearer {token}")


def post_pagerduty(api, token, payload, secret="pd-signing-secret", signature=None):
    body = json.dumps(payload).encode()
    if signature is None:
        signature = "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return api.generic(
        "POST",
        PAGERDUTY,
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_X_PAGERDUTY_SIGNATURE=signature,
    )


def stored():
    """Everything a delivery could have written."""
    return (
        list(Incident.objects.values()),
        Incident.history.count(),
        Incident.components.through.objects.count(),
        Incident.failure_modes.through.objects.count(),
    )


def test_a_firing_then_resolved_group_is_one_incident_and_a_replay_changes_nothing(
    api, team_a, alertmanager_token
):
    orders_db = ComponentFactory(team=team_a, name="orders-db")

    firing = post_alertmanager(
        api, alertmanager_token, alertmanager_payload("firing", fmea_component="orders-db")
    )
    resolved = post_alertmanager(
        api, alertmanager_token, alertmanager_payload("resolved", fmea_component="orders-db")
    )

    assert firing.status_code == 200, firing.data
    assert resolved.status_code == 200, resolved.data
    incident = Incident.objects.get()
    assert firing.data["incident"] == resolved.data["incident"] == incident.pk
    assert list(incident.components.all()) == [orders_db]
    assert incident.source == "alertmanager"
    assert incident.started_at == datetime.datetime(2026, 11, 20, 10, 0, tzinfo=datetime.UTC)
    assert incident.resolved_at == datetime.datetime(2026, 11, 20, 10, 45, 30, tzinfo=datetime.UTC)
    assert incident.detected_at >= incident.started_at  # when the first notification came
    assert incident.title == "Orders database is down"
    assert incident.severity == "critical"

    before = stored()
    for status in ("firing", "resolved"):
        replay = post_alertmanager(
            api, alertmanager_token, alertmanager_payload(status, fmea_component="orders-db")
        )
        assert replay.status_code == 200
        assert replay.data["changed"] is False
    assert stored() == before


def test_the_component_is_matched_by_slug_and_the_failure_mode_by_its_label(
    api, team_a, alertmanager_token
):
    component = ComponentFactory(team=team_a, name="Orders DB")
    failure_mode = FailureModeFactory(
        step=StepFactory(application=ApplicationFactory(team=team_a))
    )

    response = post_alertmanager(
        api,
        alertmanager_token,
        alertmanager_payload(
            "firing", fmea_component="orders-db", fmea_failure_mode=str(failure_mode.pk)
        ),
    )

    assert response.status_code == 200, response.data
    incident = Incident.objects.get()
    assert list(incident.components.all()) == [component]
    assert list(incident.failure_modes.all()) == [failure_mode]


def test_the_component_label_is_configurable_and_an_unknown_name_is_reported(
    api, team_a, alertmanager_token
):
    IncidentReceiver.objects.filter(team=team_a).update(component_label="service")
    ComponentFactory(team=team_a, name="checkout-api")

    response = post_alertmanager(
        api, alertmanager_token, alertmanager_payload("firing", service="payments-api")
    )

    assert response.status_code == 200
    assert response.data["unmatched"] == ["payments-api"]
    assert Incident.objects.get().components.count() == 0


@pytest.mark.parametrize(
    "spoil, field",
    [
        (lambda p: p.update(version="3"), "version"),
        (lambda p: p.update(status="pending"), "status"),
        (lambda p: p.update(alerts=[]), "alerts"),
        (lambda p: p["alerts"][0].update(startsAt="yesterday"), "alerts[0].startsAt"),
        (
            lambda p: p["alerts"][0]["labels"].update(fmea_failure_mode="999999"),
            "fmea_failure_mode",
        ),
    ],
)
def test_a_payload_not_shaped_as_documented_is_a_400_and_writes_nothing(
    api, team_a, alertmanager_token, spoil, field
):
    payload = copy.deepcopy(alertmanager_payload("firing"))
    spoil(payload)

    response = post_alertmanager(api, alertmanager_token, payload)

    assert response.status_code == 400
    assert field in response.data
    assert stored() == ([], 0, 0, 0)


def test_a_wrong_or_missing_token_is_a_401_and_writes_nothing(api, alertmanager_token):
    assert (
        post_alertmanager(api, "not-the-token", alertmanager_payload("firing")).status_code == 401
    )
    assert api.post(ALERTMANAGER, alertmanager_payload("firing"), format="json").status_code == 401
    assert stored() == ([], 0, 0, 0)


def test_a_rotated_token_stops_working_at_once(api, team_a, alice, alertmanager_token):
    rotate_receiver_token(team_id=team_a.pk, source="alertmanager", user=alice)

    assert (
        post_alertmanager(api, alertmanager_token, alertmanager_payload("firing")).status_code
        == 401
    )


def test_a_pagerduty_event_with_a_wrong_signature_is_a_401_and_writes_nothing(
    api, pagerduty_token
):
    payload = pagerduty_payload("incident.triggered")

    wrong = post_pagerduty(api, pagerduty_token, payload, secret="another-secret")
    missing = post_pagerduty(api, pagerduty_token, payload, signature="")

    assert wrong.status_code == 401
    assert "X-PagerDuty-Signature" in str(wrong.data["detail"])
    assert missing.status_code == 401
    assert stored() == ([], 0, 0, 0)


def test_pagerduty_triggered_acknowledged_resolved_is_one_incident_on_the_mapped_component(
    api, team_a, pagerduty_token
):
    component = ComponentFactory(team=team_a, name="orders-db")
    PagerDutyService.objects.create(team=team_a, service_id="PF9KMXH", component=component)

    for event_type, occurred in (
        ("incident.triggered", "2026-11-20T10:02:00Z"),
        ("incident.acknowledged", "2026-11-20T10:04:00Z"),
        ("incident.resolved", "2026-11-20T10:32:00Z"),
    ):
        response = post_pagerduty(api, pagerduty_token, pagerduty_payload(event_type, occurred))
        assert response.status_code == 200, response.data

    incident = Incident.objects.get()
    assert incident.external_id == "PGR0VU2"
    assert list(incident.components.all()) == [component]
    assert incident.started_at == datetime.datetime(2026, 11, 20, 10, 2, tzinfo=datetime.UTC)
    assert incident.resolved_at == datetime.datetime(2026, 11, 20, 10, 32, tzinfo=datetime.UTC)
    assert incident.url == "https://acme.pagerduty.com/incidents/PGR0VU2"
    before = stored()
    replay = post_pagerduty(
        api, pagerduty_token, pagerduty_payload("incident.resolved", "2026-11-20T10:32:00Z")
    )
    assert replay.data["changed"] is False
    assert stored() == before


def test_pagerduty_events_about_other_things_are_acknowledged_and_ignored(api, pagerduty_token):
    response = post_pagerduty(api, pagerduty_token, pagerduty_payload("incident.annotated"))

    assert response.status_code == 200
    assert response.data["ignored"] == "incident.annotated is not recorded."
    assert stored() == ([], 0, 0, 0)


def test_only_an_owner_issues_a_token_and_it_is_shown_once(api, team_a, alice, bob):
    refused = api.as_user(bob).post(
        "/api/v1/receivers/rotate/", {"team": team_a.pk, "source": "pagerduty"}, format="json"
    )
    assert refused.status_code == 403
    issued = api.as_user(alice).post(
        "/api/v1/receivers/rotate/", {"team": team_a.pk, "source": "pagerduty"}, format="json"
    )
    assert issued.status_code == 201
    token = issued.data["token"]
    receiver = IncidentReceiver.objects.get()
    assert receiver.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps(api.as_user(alice).get("/api/v1/receivers/").data)


def test_a_new_alert_group_and_its_replay_take_a_fixed_handful_of_queries(
    api, team_a, alertmanager_token, django_assert_num_queries
):
    """An alert storm is many deliveries: each costs the same few statements, however
    many incidents the team has. New: token, components, INSERT … ON CONFLICT, link,
    version, version's link, and the savepoint pair of the test's transaction (in
    production BEGIN/COMMIT and two statements marking the team for recompute, done
    here already by the component's creation). Replay: token, components, the INSERT
    that finds the row, the row locked, its links; nothing written."""
    ComponentFactory(team=team_a, name="orders-db")
    firing = alertmanager_payload("firing", fmea_component="orders-db")
    for incidents in range(3):  # the count does not grow with the team's incidents
        IncidentFactory(team=team_a, source="alertmanager", external_id=f"earlier-{incidents}")

    with django_assert_num_queries(8):
        assert post_alertmanager(api, alertmanager_token, firing).data["changed"] is True
    with django_assert_num_queries(7):
        assert post_alertmanager(api, alertmanager_token, firing).data["changed"] is False


def test_each_change_a_delivery_makes_is_one_version_in_the_history(
    api, team_a, alertmanager_token
):
    orders_db = ComponentFactory(team=team_a, name="orders-db")

    for status in ("firing", "firing", "resolved", "resolved"):
        post_alertmanager(
            api, alertmanager_token, alertmanager_payload(status, fmea_component="orders-db")
        )

    incident = Incident.objects.get()
    opened, resolved = incident.history.order_by("history_id")
    assert (opened.history_type, opened.resolved_at) == ("+", None)
    assert [link.component_id for link in opened.components.all()] == [orders_db.pk]
    assert resolved.history_type == "~"
    assert resolved.resolved_at == datetime.datetime(2026, 11, 20, 10, 45, 30, tzinfo=datetime.UTC)
    assert [link.component_id for link in resolved.components.all()] == [orders_db.pk]


def test_the_answer_has_the_fields_its_schema_documents(api, team_a, alertmanager_token):
    """The view returns the delivery's dict as it is; DeliverySerializer documents it in
    the schema, so the two must name the same fields with the same kinds of value."""
    from registry.api.receivers import DeliverySerializer

    ComponentFactory(team=team_a, name="orders-db")
    payload = alertmanager_payload("firing", fmea_component="orders-db", extra="x")
    answer = post_alertmanager(api, alertmanager_token, payload).json()

    assert list(answer) == list(DeliverySerializer().fields)
    assert DeliverySerializer(data=answer).is_valid(), answer
    assert (type(answer["incident"]), answer["changed"], answer["ignored"]) == (int, True, None)


def test_a_group_over_several_components_links_each_once_and_each_version_lists_them(
    api, team_a, alertmanager_token
):
    """Two alerts of one group on two components, then the group again with a third:
    one incident, three links, and each version of the history with the links it had."""
    orders, payments, queue = (
        ComponentFactory(team=team_a, name=name) for name in ("orders-db", "payments", "queue")
    )
    first = alertmanager_payload("firing")
    first["alerts"] = [alert("firing", fmea_component=name) for name in ("orders-db", "payments")]
    later = alertmanager_payload("firing")
    later["alerts"] = [alert("firing", fmea_component=name) for name in ("payments", "queue")]

    assert post_alertmanager(api, alertmanager_token, first).data["changed"] is True
    assert post_alertmanager(api, alertmanager_token, later).data["changed"] is True
    assert post_alertmanager(api, alertmanager_token, later).data["changed"] is False

    incident = Incident.objects.get()
    assert sorted(c.pk for c in incident.components.all()) == [orders.pk, payments.pk, queue.pk]
    opened, linked = incident.history.order_by("history_id")
    assert sorted(link.component_id for link in opened.components.all()) == [
        orders.pk,
        payments.pk,
    ]
    assert sorted(link.component_id for link in linked.components.all()) == [
        orders.pk,
        payments.pk,
        queue.pk,
    ]


@pytest.mark.django_db(transaction=True)
def test_in_production_a_new_group_is_eight_statements_and_its_team_is_left_dirty(
    api, team_a, alertmanager_token, django_assert_num_queries, capture_queued
):
    """Outside a test's transaction, as served: token, components, whether the team
    waits for a recompute already (it does not), INSERT … ON CONFLICT, link, version,
    version's link, the team marked for recompute; the mark is not repeated after the
    commit (no savepoint could have undone it), and one recompute is queued."""
    from registry.analysis import tasks
    from registry.models import TeamRecompute

    ComponentFactory(team=team_a, name="orders-db")
    TeamRecompute.objects.filter(team=team_a).update(dirty=False)
    queued = capture_queued(tasks.recompute_team_task)
    firing = alertmanager_payload("firing", fmea_component="orders-db")

    with django_assert_num_queries(8 + 2):  # and BEGIN, COMMIT
        assert post_alertmanager(api, alertmanager_token, firing).status_code == 200

    assert TeamRecompute.objects.get(team=team_a).dirty is True
    assert queued == [team_a.pk]


@pytest.mark.django_db(transaction=True)
def test_an_alert_storm_queues_one_recompute_and_never_holds_the_team_row_until_commit(
    api, team_a, alertmanager_token, capture_queued
):
    """The first delivery finds the team up to date: it marks it in its transaction and
    queues the recompute. The next ones find it waiting: they queue nothing, and mark it
    (the time of the request) only after their commit, in a statement of its own, so
    that concurrent deliveries do not wait on the team's row while each commits."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from registry.analysis import tasks
    from registry.models import TeamRecompute

    ComponentFactory(team=team_a, name="orders-db")
    TeamRecompute.objects.filter(team=team_a).update(dirty=False)
    queued = capture_queued(tasks.recompute_team_task)
    payloads = [
        {**alertmanager_payload("firing", fmea_component="orders-db"), "groupKey": f"g{n}"}
        for n in range(3)
    ]

    first = TeamRecompute.objects.get(team=team_a)
    assert post_alertmanager(api, alertmanager_token, payloads[0]).data["changed"] is True
    marked = TeamRecompute.objects.get(team=team_a)
    assert marked.dirty and marked.waiting_since == marked.requested_at > first.requested_at
    for payload in payloads[1:]:
        with CaptureQueriesContext(connection) as statements:
            assert post_alertmanager(api, alertmanager_token, payload).data["changed"] is True
        sql = [query["sql"] for query in statements.captured_queries]
        commit = sql.index("COMMIT")
        assert not any(
            "registry_teamrecompute" in line for line in sql[:commit] if "INSERT" in line
        )
        assert "registry_teamrecompute" in sql[commit + 1]
    later = TeamRecompute.objects.get(team=team_a)
    assert later.dirty and later.waiting_since == marked.waiting_since
    assert later.requested_at > marked.requested_at
    assert queued == [team_a.pk]
