"""The sign-in page offering the identity provider, and a webhook's delivery log with
its redeliver button, in chromium."""

import datetime

import pytest
from django.utils import timezone

from registry.choices import WebhookEvent
from registry.models import Team, WebhookDelivery, WebhookSubscription
from registry.webhooks import events
from tests.browser.conftest import log_in, screenshot


def test_the_sign_in_page_offers_the_provider(new_page, people, settings):
    settings.OIDC_ISSUER = "https://id.example.com/realms/acme"
    settings.OIDC_PROVIDER_NAME = "Acme ID"
    page = new_page()
    page.goto("/accounts/login/")
    button = page.get_by_role("link", name="Sign in with Acme ID")
    assert button.get_attribute("href").startswith("/oidc/authenticate/")
    assert page.get_by_label("Password").is_visible()
    screenshot(page, "sign-in-with-provider")


@pytest.fixture
def delivery_log(people, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    team = Team.objects.get(slug="team-a")
    subscription = WebhookSubscription.objects.create(
        team=team,
        url="https://hooks.example.com/fmea",
        description="Incident channel",
        events=[WebhookEvent.FINDING_OPENED, WebhookEvent.REPORT_READY],
    )
    ids = events.emit(team.pk, WebhookEvent.FINDING_OPENED, [{"id": n} for n in range(3)])
    events.emit(team.pk, WebhookEvent.REPORT_READY, [{"id": 9}])
    now = timezone.now()
    attempted = {"last_attempt_at": now - datetime.timedelta(minutes=2)}
    WebhookDelivery.objects.filter(pk=ids[0]).update(
        **attempted, status="delivered", attempts=2, response_code=200, next_attempt_at=None
    )
    WebhookDelivery.objects.filter(pk=ids[1]).update(
        **attempted,
        status="retrying",
        attempts=3,
        response_code=500,
        error="HTTP 500",
        next_attempt_at=now + datetime.timedelta(minutes=2),
    )
    WebhookDelivery.objects.filter(pk=ids[2]).update(
        **attempted,
        status="failed",
        attempts=1,
        error="https://hooks.example.com resolves to 10.1.2.3, a private address",
        next_attempt_at=None,
    )
    return subscription


def test_the_delivery_log_shows_each_attempt_and_redelivers(new_page, delivery_log):
    page = new_page()
    log_in(page, "alice")
    page.goto("/webhooks/")
    screenshot(page, "webhooks")
    page.get_by_role("link", name="Delivery log").click()
    rows = page.locator("tbody tr")
    assert rows.count() == 4
    assert "Retrying" in page.content() and "HTTP 500" in page.content()
    screenshot(page, "webhook-delivery-log")
    rows.filter(has_text="Failed").get_by_role("button", name="Redeliver").click()
    page.wait_for_load_state()
    assert "queued to be sent again" in page.content()
    assert WebhookDelivery.objects.filter(status="failed").count() == 0
