"""Turning what happened into deliveries: one row per event and subscription, written
in the transaction that made the change, announced when it commits.

A service: it queues nothing. `deliveries_ready` is sent once the transaction commits,
and `registry.webhooks.signals` queues the delivery tasks.
"""

from __future__ import annotations

import datetime
import uuid

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from registry.choices import DeliveryStatus, FindingKind, WebhookEvent
from registry.models import Finding, ReportRun, WebhookDelivery, WebhookSubscription

#: Sent after the commit that wrote deliveries; `delivery_ids`: the rows to attempt.
deliveries_ready = Signal()

FINDING_FIELDS = (
    "id",
    "key",
    "kind",
    "severity",
    "message",
    "details",
    "team_id",
    "application_id",
    "step_id",
    "component_id",
    "failure_mode_id",
    "tier_id",
    "first_seen_at",
)


def subscribed_events(team_id: int) -> set[str]:
    """The event types any active subscription of the team wants (a team has few)."""
    wanted: set[str] = set()
    for events in WebhookSubscription.objects.filter(team_id=team_id, active=True).values_list(
        "events", flat=True
    ):
        wanted.update(events)
    return wanted


def announce(delivery_ids: list[int]) -> None:
    """Have the deliveries attempted once the current transaction commits."""
    if delivery_ids:
        transaction.on_commit(
            lambda: deliveries_ready.send(sender=WebhookDelivery, delivery_ids=delivery_ids)
        )


def emit(team_id: int, event_type: WebhookEvent, objects: list[dict], now=None) -> list[int]:
    """One event per object for every active subscription of the team that wants this
    type; returns the deliveries' ids. Each event has one id, shared by its deliveries
    to several subscriptions and kept by every retry."""
    if not objects:
        return []
    subscriptions = [
        pk
        for pk, events in WebhookSubscription.objects.filter(
            team_id=team_id, active=True
        ).values_list("pk", "events")
        if event_type in events
    ]
    if not subscriptions:
        return []
    now = now or timezone.now()
    rows = []
    for obj in objects:
        event_id = uuid.uuid4()
        payload = {
            "id": str(event_id),
            "type": str(event_type),
            "timestamp": now.isoformat(),
            "team": team_id,
            "object": obj,
        }
        rows.extend(
            WebhookDelivery(
                subscription_id=subscription_id,
                event_id=event_id,
                event_type=event_type,
                payload=payload,
                created_at=now,
                next_attempt_at=now,
            )
            for subscription_id in subscriptions
        )
    created = WebhookDelivery.objects.bulk_create(rows)
    ids = [row.pk for row in created]
    announce(ids)
    return ids


def finding_object(row: dict) -> dict:
    """A finding as events carry it (the API's field names)."""
    return {
        "id": row["id"],
        "key": row["key"],
        "kind": row["kind"],
        "severity": row["severity"],
        "message": row["message"],
        "details": row["details"],
        "application": row["application_id"],
        "step": row["step_id"],
        "component": row["component_id"],
        "failure_mode": row["failure_mode_id"],
        "tier": row["tier_id"],
        "first_seen_at": row["first_seen_at"].isoformat(),
    }


def action_object(row: dict) -> dict:
    """An overdue action, from its finding (which names the action and its due date)."""
    details = row["details"] or {}
    return {
        "id": details.get("action"),
        "due_date": details.get("due_date"),
        "failure_mode": row["failure_mode_id"],
        "message": row["message"],
    }


class FindingWatch:
    """What a recompute opened and resolved, for the team's subscriptions.

    Reads nothing when no subscription wants finding or action events. Resolved
    findings are deleted rows, so their last state is read before the recompute.
    """

    def __init__(self, team_id: int) -> None:
        self.team_id = team_id
        wanted = subscribed_events(team_id)
        self.opened = bool(wanted & {WebhookEvent.FINDING_OPENED, WebhookEvent.ACTION_OVERDUE})
        self.before: dict[str, dict] = {}
        if WebhookEvent.FINDING_RESOLVED in wanted:
            self.before = {
                row["key"]: row
                for row in Finding.objects.filter(team_id=team_id).values(*FINDING_FIELDS)
            }

    def emit(self, started: datetime.datetime) -> None:
        """After the recompute that began at `started` (new rows carry it as
        `first_seen_at`; persisting ones keep theirs)."""
        if self.before:
            remaining = set(
                Finding.objects.filter(team_id=self.team_id, key__in=self.before).values_list(
                    "key", flat=True
                )
            )
            resolved = [row for key, row in self.before.items() if key not in remaining]
            emit(
                self.team_id,
                WebhookEvent.FINDING_RESOLVED,
                [finding_object(row) for row in resolved],
                started,
            )
        if not self.opened:
            return
        opened = list(
            Finding.objects.filter(team_id=self.team_id, first_seen_at=started).values(
                *FINDING_FIELDS
            )
        )
        emit(
            self.team_id,
            WebhookEvent.FINDING_OPENED,
            [finding_object(row) for row in opened],
            started,
        )
        emit(
            self.team_id,
            WebhookEvent.ACTION_OVERDUE,
            [action_object(row) for row in opened if row["kind"] == FindingKind.OVERDUE_ACTION],
            started,
        )


def emit_priority_changed(failure_mode, previous: str, current: str) -> None:
    emit(
        failure_mode.team_id,
        WebhookEvent.PRIORITY_CHANGED,
        [
            {
                "id": failure_mode.pk,
                "step": failure_mode.step_id,
                "component": failure_mode.component_id,
                "mode": failure_mode.mode,
                "status": failure_mode.status,
                "previous_action_priority": previous,
                "action_priority": current,
                "version": failure_mode.version,
            }
        ],
    )


def emit_report_ready(run_id: int) -> None:
    run = ReportRun.objects.get(pk=run_id)
    emit(
        run.team_id,
        WebhookEvent.REPORT_READY,
        [
            {
                "id": run.pk,
                "format": run.format,
                "status": run.status,
                "rows": run.row_count,
                "size": run.file_size,
                "schedule": run.schedule_id,
                "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            }
        ],
    )


def redeliver(delivery: WebhookDelivery) -> None:
    """Send the event again, with the same id and body, whatever became of it."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), error=""
    )
    announce([delivery.pk])
