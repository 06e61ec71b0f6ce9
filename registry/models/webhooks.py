"""Outbound webhooks: a team's subscriptions, and one delivery row per event and
subscription, which is the delivery log the API and the pages show."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from registry.choices import DeliveryStatus, WebhookEvent
from registry.models.teams import Team
from registry.outbound import UnsafeURLError, check_webhook_url
from registry.querysets import TeamScopedQuerySet

SECRET_MIN_LENGTH = 16


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookSubscription(models.Model):
    """A URL a team's owners want told about some events, with the secret that signs
    each delivery (HMAC-SHA256; the receiver holds the same secret)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500, help_text="Where the events are POSTed.")
    secret = models.CharField(
        max_length=200,
        default=new_secret,
        help_text=f"Signs every delivery; at least {SECRET_MIN_LENGTH} characters. "
        "Never shown again after it is set, and never in a backup.",
    )
    events = models.JSONField(
        default=list, help_text='The event types sent, e.g. ["finding.opened"].'
    )
    active = models.BooleanField(default=True, help_text="Paused subscriptions get nothing.")
    description = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["team", "url", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(url__startswith="http://")
                | models.Q(url__startswith="https://"),
                name="%(app_label)s_%(class)s_url_http",
                violation_error_message="Use an http:// or https:// URL.",
            ),
        ]

    def __str__(self) -> str:
        return self.url

    def clean(self) -> None:
        errors: dict[str, str] = {}
        try:
            check_webhook_url(self.url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_URLS)
        except UnsafeURLError as error:
            errors["url"] = str(error)
        if len(self.secret or "") < SECRET_MIN_LENGTH:
            errors["secret"] = f"The secret needs at least {SECRET_MIN_LENGTH} characters."
        unknown = sorted(set(self.events or []) - set(WebhookEvent.values))
        if not isinstance(self.events, list) or not self.events:
            errors["events"] = "Choose at least one event."
        elif unknown:
            errors["events"] = f"Unknown event types: {', '.join(unknown)}."
        if errors:
            raise ValidationError(errors)


class WebhookDeliveryQuerySet(TeamScopedQuerySet):
    team_path = "subscription__team"


class WebhookDelivery(models.Model):
    """One event for one subscription: the body sent (the same at every attempt, with
    the event's stable id for receivers to deduplicate), and how the attempts went."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(
        default=uuid.uuid4, help_text="The event's id, stable across retries."
    )
    event_type = models.CharField(max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField(help_text="The body: id, type, timestamp and the object.")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The HTTP status of the last attempt."
    )
    error = models.CharField(max_length=500, blank=True, help_text="Why the last attempt failed.")
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"],
                name="%(app_label)s_%(class)s_unique_event",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(event_type__in=WebhookEvent.values),
                name="%(app_label)s_%(class)s_event_type_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="registry_delivery_due"),
        ]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} → {self.subscription}"
