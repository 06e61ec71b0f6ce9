"""End to end through a real Celery worker: an edit through the API creates a finding,
the recompute opens it, and the receiver on loopback gets it signed, fails once, and
gets the retry with the same event id."""

import json
import time

import pytest
from rest_framework.test import APIClient

from registry.models import WebhookDelivery
from registry.outbound import SIGNATURE_HEADER, verify
from tests.factories import StepFactory
from tests.webhooks.conftest import SECRET
from tests.workers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_edit_that_creates_a_finding_reaches_the_receiver_signed_and_retried(
    worker, subscribed, receiver, team_a, bob
):
    receiver.fail_each_once = True
    step = StepFactory(application__team=team_a)
    client = APIClient()
    client.force_authenticate(bob)
    response = client.post(
        "/api/v1/failure-modes/",
        {
            "step": step.pk,
            "mode": "Card network times out",
            "severity": 9,
            "probability": 8,
            "detectability": 8,
        },
        format="json",
    )
    assert response.status_code == 201

    def opened_twice():
        """the receiver got the unmitigated-high-risk finding twice (500, then 200)"""
        return (
            len(
                [
                    r
                    for r in receiver.received
                    if json.loads(r.body)["object"].get("kind") == "unmitigated_high_risk"
                ]
            )
            == 2
        )

    wait_for(opened_twice, 120)
    first, second = [
        r
        for r in receiver.received
        if json.loads(r.body)["object"].get("kind") == "unmitigated_high_risk"
    ]
    body = json.loads(first.body)
    assert body["type"] == "finding.opened"
    assert body["object"]["failure_mode"] == response.json()["id"]
    assert first.headers["FMEA-Event-Id"] == second.headers["FMEA-Event-Id"] == body["id"]
    assert first.body == second.body
    for request in (first, second):
        assert verify(
            SECRET, request.headers[SIGNATURE_HEADER], request.body, now=int(time.time())
        )

    def logged():
        """the delivery log says delivered after two attempts"""
        row = WebhookDelivery.objects.get(event_id=body["id"])
        return (row.status, row.attempts, row.response_code) == ("delivered", 2, 200)

    wait_for(logged, 30)
