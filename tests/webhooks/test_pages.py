"""Webhooks in the browser: owners subscribe (same rules as the API), read the delivery
log and redeliver; editors and other teams cannot."""

from django.test import Client

from registry.choices import WebhookEvent
from registry.models import WebhookDelivery, WebhookSubscription
from registry.webhooks import delivery, events


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_owner_subscribes_and_sees_the_secret_once(alice, team_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    client = signed_in(alice)
    response = client.post(
        "/webhooks/", {"url": "http://127.0.0.1:9/hook", "events": ["finding.opened"]}, follow=True
    )
    subscription = WebhookSubscription.objects.get()
    assert subscription.team == team_a and subscription.events == ["finding.opened"]
    assert subscription.secret in response.content.decode()
    assert subscription.secret not in client.get("/webhooks/").content.decode()


def test_a_private_address_is_refused_with_the_apis_message(alice):
    response = signed_in(alice).post(
        "/webhooks/", {"url": "https://10.0.0.1/hook", "events": ["finding.opened"]}
    )
    assert response.status_code == 400
    assert (
        "10.0.0.1 resolves to 10.0.0.1, a loopback, private or link-local"
        in response.content.decode()
    )
    assert not WebhookSubscription.objects.exists()


def test_an_editor_is_refused(bob):
    assert signed_in(bob).get("/webhooks/").status_code == 403


def test_the_delivery_log_shows_status_code_attempts_and_redelivers(
    subscribed, receiver, alice, team_a, capture_queued, django_capture_on_commit_callbacks
):
    from registry.webhooks import tasks

    receiver.answers = [502]
    ids = events.emit(team_a.pk, WebhookEvent.FINDING_OPENED, [{"id": 1}])
    delivery.attempt(ids[0])
    client = signed_in(alice)
    page = client.get(f"/webhooks/{subscribed.pk}/deliveries/").content.decode()
    assert "Retrying" in page and "502" in page and "finding.opened" in page

    queued = capture_queued(tasks.deliver_webhook)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/webhooks/{subscribed.pk}/deliveries/", {"redeliver": ids[0]})
    assert response.status_code == 302
    assert queued == [ids[0]]
    assert WebhookDelivery.objects.get(pk=ids[0]).status == "pending"


def test_another_teams_owner_gets_404(subscribed, charlie, team_b):
    assert signed_in(charlie).get(f"/webhooks/{subscribed.pk}/deliveries/").status_code == 404
