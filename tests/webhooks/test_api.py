"""Subscriptions and the delivery log through the API: owners only, public URLs only,
secrets written and never read back."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from registry.choices import WebhookEvent
from registry.models import WebhookDelivery, WebhookSubscription
from registry.webhooks import events

URL = "/api/v1/webhooks/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def subscribe(user, team, url, **extra):
    return client_for(user).post(
        URL, {"team": team.pk, "url": url, "events": ["finding.opened"], **extra}, format="json"
    )


def test_a_subscription_to_a_private_address_is_refused(alice, team_a):
    """10.0.0.1 is private: 400 on the url, and nothing stored."""
    response = subscribe(alice, team_a, "https://10.0.0.1/hook")
    assert response.status_code == 400
    assert "10.0.0.1" in response.json()["url"][0]
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://192.168.1.20/hook",
        "http://100.64.0.1/hook",
    ],
)
def test_loopback_link_local_and_shared_addresses_are_refused(alice, team_a, url):
    assert subscribe(alice, team_a, url).status_code == 400


def test_a_non_http_url_is_refused(alice, team_a):
    response = subscribe(alice, team_a, "ftp://93.184.215.14/hook")
    assert response.status_code == 400


def test_loopback_is_accepted_where_the_setting_allows_it(alice, team_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    response = subscribe(alice, team_a, "http://127.0.0.1:9/hook")
    assert response.status_code == 201
    generated = response.json()["secret"]
    assert len(generated) >= 32
    assert WebhookSubscription.objects.get().secret == generated
    # Never read back.
    listed = client_for(alice).get(URL).json()["results"][0]
    assert "secret" not in listed


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("events", {"events": ["finding.gone"]}),
        ("events", {"events": []}),
        ("secret", {"secret": "short"}),
    ],
)
def test_a_short_secret_and_unknown_events_are_refused(alice, team_a, settings, field, change):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    response = subscribe(alice, team_a, "http://127.0.0.1/h", **change)
    assert response.status_code == 400
    assert field in response.json()
    assert not WebhookSubscription.objects.exists()


def test_editors_cannot_subscribe(bob, team_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    assert subscribe(bob, team_a, "http://127.0.0.1/h").status_code == 403
    assert not WebhookSubscription.objects.exists()


def test_another_team_never_sees_the_subscriptions_or_deliveries(subscribed, charlie, team_a):
    ids = events.emit(team_a.pk, WebhookEvent.REPORT_READY, [{"id": 1}])
    client = client_for(charlie)
    assert client.get(f"{URL}{subscribed.pk}/").status_code == 404
    assert client.get("/api/v1/webhook-deliveries/").json()["count"] == 0
    assert client.post(f"/api/v1/webhook-deliveries/{ids[0]}/redeliver/").status_code == 404


def test_the_delivery_log_shows_status_code_and_attempts_in_fixed_queries(
    subscribed, alice, team_a
):
    from registry.webhooks import delivery

    client = client_for(alice)

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/webhook-deliveries/?page_size=100").status_code == 200
        return len(queries)

    ids = events.emit(team_a.pk, WebhookEvent.REPORT_READY, [{"id": 1}])
    delivery.attempt(ids[0])
    few = count_queries()
    events.emit(team_a.pk, WebhookEvent.REPORT_READY, [{"id": n} for n in range(2, 30)])
    assert count_queries() == few

    rows = client.get(
        f"/api/v1/webhook-deliveries/?event_id={WebhookDelivery.objects.get(pk=ids[0]).event_id}"
    ).json()["results"]
    assert len(rows) == 1
    assert (rows[0]["status"], rows[0]["response_code"], rows[0]["attempts"]) == (
        "delivered",
        200,
        1,
    )


def test_redeliver_queues_the_same_event_again(
    subscribed, alice, team_a, capture_queued, django_capture_on_commit_callbacks
):
    from registry.webhooks import tasks

    queued = capture_queued(tasks.deliver_webhook)
    ids = events.emit(team_a.pk, WebhookEvent.REPORT_READY, [{"id": 1}])
    WebhookDelivery.objects.filter(pk=ids[0]).update(status="failed", attempts=9)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(f"/api/v1/webhook-deliveries/{ids[0]}/redeliver/")
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    assert queued == [ids[0]]
