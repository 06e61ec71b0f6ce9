"""Rollups recomputed by a real Celery worker on the configured broker (Redis in CI,
the filesystem broker on a fresh machine), and recomputes that run concurrently."""

import threading

import pytest
from django.core.management import call_command
from django_celery_results.models import TaskResult
from rest_framework.test import APIClient

from registry.analysis import rollups
from registry.models import FailureMode, Finding, Membership, Team, TeamRecompute, TierRollup
from tests.workers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_client():
    call_command("seed_demo", verbosity=0)
    team = Team.objects.get(slug="demo")
    owner = Membership.objects.get(team=team, role="owner").user
    client = APIClient()
    client.force_authenticate(owner)
    return team, client


def recomputes() -> int:
    return TaskResult.objects.filter(
        task_name="registry.recompute_team", result='"recomputed"'
    ).count()


def test_an_api_change_updates_the_rollup_through_the_worker(worker, demo_client):
    """PATCH a failure mode to severity 10 / 10 / 10: the tier-1 rollup shows RPN 1000."""
    team, client = demo_client
    failure_mode = FailureMode.objects.filter(team=team, step__application__tier__level=1)[0]
    response = client.patch(
        f"/api/v1/failure-modes/{failure_mode.pk}/",
        {"severity": 10, "probability": 10, "detectability": 10},
        format="json",
    )
    assert response.status_code == 200

    def rollup_shows_the_change():
        """the tier-1 rollup's max RPN is 1000"""
        rollup = TierRollup.objects.filter(team=team, tier__level=1).first()
        return rollup is not None and rollup.rpn_max == 1000

    wait_for(rollup_shows_the_change)
    assert Finding.objects.filter(team=team, failure_mode=failure_mode).exists()


def test_bulk_creating_1000_failure_modes_costs_a_few_recomputes(worker, demo_client):
    team, client = demo_client

    def settled():
        """the demo team is recomputed and clean"""
        return not TeamRecompute.objects.filter(team=team, dirty=True).exists()

    wait_for(settled)
    before = recomputes()
    step_id = FailureMode.objects.filter(team=team).values_list("step_id", flat=True)[0]
    items = [
        {"step": step_id, "mode": f"Bulk {n}", "severity": 3, "probability": 3, "detectability": 3}
        for n in range(1000)
    ]
    assert client.post("/api/v1/failure-modes/", items, format="json").status_code == 201

    def counted():
        """the tier-1 rollup counts the 1,000 new failure modes"""
        rollup = TierRollup.objects.filter(team=team, tier__level=1).first()
        return rollup is not None and rollup.failure_mode_count == 1009 and settled()

    wait_for(counted, 180)
    assert 1 <= recomputes() - before <= 3


def test_two_recomputes_at_once_leave_the_same_rows(postgres):
    """Concurrent runs of one team take turns and agree with a single run."""
    call_command("seed_demo", verbosity=0)
    team = Team.objects.get(slug="demo")
    rollups.recompute_team(team.pk)

    def rows():
        return (
            sorted(Finding.objects.filter(team=team).values_list("key", "message")),
            sorted(TierRollup.objects.filter(team=team).values_list("tier_id", "rpn_sum")),
        )

    expected = rows()
    errors = []

    def run():
        try:
            rollups.recompute_team(team.pk)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert rows() == expected
