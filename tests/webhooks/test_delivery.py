"""Deliveries: what a receiver gets (a signed body with a stable event id) and what
happens when it fails (backoff for a day, then given up)."""

import datetime
import json
import time

import pytest
from django.utils import timezone

from registry.analysis import rollups
from registry.choices import DeliveryStatus, FindingKind, WebhookEvent
from registry.models import Finding, WebhookDelivery
from registry.outbound import SIGNATURE_HEADER, verify
from registry.webhooks import delivery, events
from tests.factories import ActionFactory, FailureModeFactory
from tests.webhooks.conftest import SECRET


def high_risk(team):
    """Severity 9, probability 8, detectability 8 and no action: AP High, unmitigated."""
    return FailureModeFactory(
        step__application__team=team, severity=9, probability=8, detectability=8
    )


def test_it_sends_a_signed_finding_opened_and_retries_with_the_same_event_id(
    subscribed, receiver, team_a
):
    """The receiver answers 500 once: the retry carries the same id and body."""
    failure_mode = high_risk(team_a)
    receiver.answers = [500]
    rollups.recompute_team(team_a.pk)
    opened = WebhookDelivery.objects.get(
        event_type=WebhookEvent.FINDING_OPENED,
        payload__object__kind=FindingKind.UNMITIGATED_HIGH_RISK,
    )

    assert delivery.attempt(opened.pk) == 1  # base 1 s after the first failure
    opened.refresh_from_db()
    assert (opened.status, opened.attempts, opened.response_code) == ("retrying", 1, 500)
    assert delivery.attempt(opened.pk) is None
    opened.refresh_from_db()
    assert (opened.status, opened.attempts, opened.response_code) == ("delivered", 2, 200)

    first, second = receiver.received
    assert first.body == second.body
    assert (
        first.headers["FMEA-Event-Id"] == second.headers["FMEA-Event-Id"] == str(opened.event_id)
    )
    for request in (first, second):
        assert verify(
            SECRET, request.headers[SIGNATURE_HEADER], request.body, now=int(time.time())
        )
        assert not verify(
            "another-secret-of-someone",
            request.headers[SIGNATURE_HEADER],
            request.body,
            now=int(time.time()),
        )
    body = json.loads(first.body)
    assert body["id"] == str(opened.event_id)
    assert body["type"] == "finding.opened"
    assert body["object"]["failure_mode"] == failure_mode.pk
    assert {"id", "type", "timestamp", "object"} <= set(body)


def test_a_persisting_finding_is_not_opened_again_and_a_resolved_one_is_told(subscribed, team_a):
    failure_mode = high_risk(team_a)
    rollups.recompute_team(team_a.pk)
    opened = WebhookDelivery.objects.filter(event_type=WebhookEvent.FINDING_OPENED)
    first_count = opened.count()
    assert first_count == Finding.objects.filter(team=team_a).count() >= 1
    rollups.recompute_team(team_a.pk)
    assert opened.count() == first_count
    finding_id = Finding.objects.get(team=team_a, kind=FindingKind.UNMITIGATED_HIGH_RISK).pk

    ActionFactory(failure_mode=failure_mode)
    rollups.recompute_team(team_a.pk)

    resolved = WebhookDelivery.objects.get(
        event_type=WebhookEvent.FINDING_RESOLVED, payload__object__id=finding_id
    )
    assert resolved.payload["object"]["id"] == finding_id
    assert resolved.payload["object"]["kind"] == FindingKind.UNMITIGATED_HIGH_RISK


def test_an_overdue_action_is_an_event(subscribed, team_a):
    failure_mode = FailureModeFactory(step__application__team=team_a)
    action = ActionFactory(
        failure_mode=failure_mode, due_date=timezone.localdate() - datetime.timedelta(days=3)
    )
    rollups.recompute_team(team_a.pk)
    overdue = WebhookDelivery.objects.get(event_type=WebhookEvent.ACTION_OVERDUE)
    assert overdue.payload["object"]["id"] == action.pk
    assert overdue.payload["object"]["failure_mode"] == failure_mode.pk


def test_a_priority_change_is_an_event_and_a_same_priority_edit_is_not(subscribed, team_a):
    failure_mode = FailureModeFactory(
        step__application__team=team_a, severity=2, probability=2, detectability=2
    )
    failure_mode.refresh_from_db()
    failure_mode.detectability = 3  # 2/2/3 is still Low
    failure_mode.save()
    assert not WebhookDelivery.objects.filter(event_type=WebhookEvent.PRIORITY_CHANGED).exists()

    failure_mode.severity, failure_mode.probability = 9, 8  # 9/8/3: High
    failure_mode.save()
    changed = WebhookDelivery.objects.get(event_type=WebhookEvent.PRIORITY_CHANGED)
    assert changed.payload["object"]["previous_action_priority"] == "L"
    assert changed.payload["object"]["action_priority"] == "H"


def test_only_the_events_a_subscription_chose_are_sent(subscribed, team_a):
    subscribed.events = [WebhookEvent.REPORT_READY]
    subscribed.save()
    high_risk(team_a)
    rollups.recompute_team(team_a.pk)
    assert not WebhookDelivery.objects.exists()


def test_another_teams_change_sends_nothing_to_this_team(subscribed, team_b):
    high_risk(team_b)
    rollups.recompute_team(team_b.pk)
    assert not WebhookDelivery.objects.exists()


def test_the_backoff_doubles_up_to_an_hour(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    assert [delivery.backoff(n) for n in (1, 2, 3, 7, 8, 20)] == [30, 60, 120, 1920, 3600, 3600]


def test_it_gives_up_after_a_day(subscribed, receiver, team_a):
    """A delivery whose next attempt would fall after the day is failed for good."""
    receiver.answers = [503]
    ids = events.emit(team_a.pk, WebhookEvent.REPORT_READY, [{"id": 1}])
    event_time = timezone.now() - datetime.timedelta(hours=23, minutes=59, seconds=59)
    WebhookDelivery.objects.filter(pk=ids[0]).update(created_at=event_time)
    assert delivery.attempt(ids[0]) is None
    gone = WebhookDelivery.objects.get(pk=ids[0])
    assert (gone.status, gone.response_code, gone.error) == ("failed", 503, "HTTP 503")


def test_a_redirect_is_not_followed(subscribed, receiver, team_a):
    receiver.answers = [302]
    ids = events.emit(team_a.pk, WebhookEvent.REPORT_READY, [{"id": 1}])
    delivery.attempt(ids[0])
    assert len(receiver.received) == 1
    assert WebhookDelivery.objects.get(pk=ids[0]).error == "HTTP 302: redirects are not followed."


def test_a_url_turned_private_is_refused_at_sending_without_retry(subscribed, settings, team_a):
    ids = events.emit(team_a.pk, WebhookEvent.REPORT_READY, [{"id": 1}])
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    assert delivery.attempt(ids[0]) is None
    refused = WebhookDelivery.objects.get(pk=ids[0])
    assert refused.status == DeliveryStatus.FAILED
    assert "127.0.0.1" in refused.error and refused.attempts == 1


def test_redelivery_sends_the_same_event_again(subscribed, receiver, team_a):
    ids = events.emit(team_a.pk, WebhookEvent.REPORT_READY, [{"id": 7}])
    delivery.attempt(ids[0])
    events.redeliver(WebhookDelivery.objects.get(pk=ids[0]))
    delivery.attempt(ids[0])
    first, second = receiver.received
    assert first.headers["FMEA-Event-Id"] == second.headers["FMEA-Event-Id"]
    assert WebhookDelivery.objects.get(pk=ids[0]).attempts == 2


@pytest.mark.parametrize("kind", ["delivered", "failed"])
def test_a_finished_delivery_is_not_attempted_again_by_a_stray_message(
    subscribed, receiver, team_a, kind
):
    ids = events.emit(team_a.pk, WebhookEvent.REPORT_READY, [{"id": 7}])
    WebhookDelivery.objects.filter(pk=ids[0]).update(status=kind)
    assert delivery.attempt(ids[0]) is None
    assert receiver.received == []


def test_the_readmes_verification_snippet_accepts_a_delivery_and_refuses_a_forgery(
    subscribed, receiver, team_a
):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    snippet = re.search(r"A receiver checks it like this:\n\n```python\n(.*?)```", readme, re.S)
    namespace: dict = {}
    exec(snippet.group(1), namespace)
    ids = events.emit(team_a.pk, WebhookEvent.REPORT_READY, [{"id": 3}])
    delivery.attempt(ids[0])
    (request,) = receiver.received
    header = request.headers[SIGNATURE_HEADER]
    assert namespace["verify"](SECRET, header, request.body)
    assert not namespace["verify"](SECRET, header, request.body.replace(b"3", b"4"))
