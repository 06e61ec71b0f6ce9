"""One attempt at a delivery: POST the signed body, record what came back, and say
when to try again.

The body is the same bytes at every attempt (the event's id, type, timestamp and
object); the signature header carries the attempt's own time, so a receiver can refuse
old replays. No redirect is followed, no proxy from the environment is used, and the
address rule is checked again at sending (a name may resolve elsewhere since).
"""

from __future__ import annotations

import datetime
import json

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from registry.choices import DeliveryStatus
from registry.models import WebhookDelivery
from registry.outbound import (
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    SIGNATURE_HEADER,
    UnsafeURLError,
    check_webhook_url,
    signature_header,
)

#: No wait between two attempts is longer than this.
MAX_WAIT_SECONDS = 3600


def body_of(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def backoff(attempts: int) -> float:
    """Seconds before the next attempt after `attempts` failed ones: doubling from
    WEBHOOK_RETRY_BASE_SECONDS (30 s, 1 min, 2 min, ...), at most an hour."""
    return min(settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1), MAX_WAIT_SECONDS)


class Refused(Exception):
    """The URL is no longer one the register sends to: trying again will not help."""


def post(delivery: WebhookDelivery, now: datetime.datetime) -> tuple[int | None, str]:
    """Send once; the response code (None without one) and why it failed ("" if not)."""
    subscription = delivery.subscription
    try:
        check_webhook_url(subscription.url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_URLS)
    except UnsafeURLError as error:
        raise Refused(str(error)) from error
    body = body_of(delivery.payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "fmea-register-webhooks/1",
        SIGNATURE_HEADER: signature_header(subscription.secret, int(now.timestamp()), body),
        EVENT_ID_HEADER: str(delivery.event_id),
        EVENT_TYPE_HEADER: delivery.event_type,
    }
    with requests.Session() as session:
        session.trust_env = False  # no proxy or netrc from the environment
        try:
            response = session.post(
                subscription.url,
                data=body,
                headers=headers,
                timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
                allow_redirects=False,
                stream=True,  # the answer's body is never read
            )
        except requests.RequestException as error:
            return None, f"{type(error).__name__}: {error}"[:500]
        response.close()
    code = response.status_code
    if 200 <= code < 300:
        return code, ""
    if 300 <= code < 400:
        return code, f"HTTP {code}: redirects are not followed."
    return code, f"HTTP {code}"


def attempt(delivery_id: int, now: datetime.datetime | None = None) -> float | None:
    """Make one attempt at a pending or retrying delivery. Returns the seconds to wait
    before the next attempt, or None when there is none (delivered, given up, or not
    this attempt's to make)."""
    now = now or timezone.now()
    delivery = (
        WebhookDelivery.objects.select_related("subscription")
        .filter(pk=delivery_id, status__in=(DeliveryStatus.PENDING, DeliveryStatus.RETRYING))
        .first()
    )
    if delivery is None:
        return None
    refused = False
    try:
        code, error = post(delivery, now)
    except Refused as exc:
        code, error, refused = None, str(exc), True
    attempts = delivery.attempts + 1
    changes = {
        "attempts": attempts,
        "last_attempt_at": now,
        "response_code": code,
        "error": error,
    }
    wait = None
    if not error:
        changes.update(status=DeliveryStatus.DELIVERED, delivered_at=now, next_attempt_at=None)
    else:
        wait = backoff(attempts)
        next_at = now + datetime.timedelta(seconds=wait)
        deadline = delivery.created_at + datetime.timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
        if refused or next_at > deadline:
            wait = None
        if wait is None:
            changes.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
        else:
            changes.update(status=DeliveryStatus.RETRYING, next_attempt_at=next_at)
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery_id).update(**changes)
    return wait


def overdue(now: datetime.datetime | None = None, grace_seconds: int = 300) -> list[int]:
    """Deliveries whose next attempt is well past due: their queued message was lost
    (a broker restart, a worker killed with it)."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            status__in=(DeliveryStatus.PENDING, DeliveryStatus.RETRYING),
            next_attempt_at__lt=now - datetime.timedelta(seconds=grace_seconds),
        ).values_list("pk", flat=True)[:1000]
    )
