"""Rollups, snapshots and findings over the API; the management review sign-off."""

import pytest
from django.core.management import call_command

from registry.analysis import rollups
from registry.models import FailureMode, Membership, Team
from registry.models.rollups import FIGURE_NAMES
from tests.rollups import hand_built

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("seed_demo", verbosity=0)
    team = Team.objects.get(slug="demo")
    rollups.nightly()
    return team


@pytest.fixture
def demo_owner(demo):
    owner = Membership.objects.get(team=demo, role="owner").user
    owner.is_superuser = False
    owner.save()
    return owner


def test_tier_rollups_for_the_callers_team(api, demo, demo_owner, charlie):
    body = api.as_user(demo_owner).get("/api/v1/rollups/tiers/").json()
    assert [row["tier_level"] for row in body["results"]] == [1, 2, 3, 4]
    tier_1 = body["results"][0]
    assert tier_1["failure_mode_count"] == 9
    assert tier_1["findings_by_kind"]["dr_strategy_gap"] == 1
    assert api.as_user(charlie).get("/api/v1/rollups/tiers/").json()["count"] == 0


def test_application_rollups_and_snapshots(api, demo, demo_owner):
    applications = api.as_user(demo_owner).get("/api/v1/rollups/applications/").json()
    assert {row["application_name"] for row in applications["results"]} == {
        "Order processing",
        "Clickstream analytics",
    }
    snapshots = api.as_user(demo_owner).get("/api/v1/rollups/snapshots/?tier=1").json()
    assert snapshots["count"] == 1


def test_findings_filter_by_kind_and_list_most_severe_first(api, demo, demo_owner, charlie):
    client = api.as_user(demo_owner)
    body = client.get("/api/v1/findings/?kind=dr_strategy_gap").json()
    assert [row["application_name"] for row in body["results"]] == ["Order processing"]
    severities = [
        row["severity"] for row in client.get("/api/v1/findings/?page_size=200").json()["results"]
    ]
    order = ["critical", "high", "medium", "low"]
    assert severities == sorted(severities, key=order.index)
    assert api.as_user(charlie).get("/api/v1/findings/").json()["count"] == 0
    assert client.post("/api/v1/findings/", {}).status_code == 405


def test_an_owner_signs_off_a_severe_risk(api, demo, demo_owner, team_a, bob):
    corruption = FailureMode.objects.get(team=demo, mode__startswith="Silent data corruption")
    url = f"/api/v1/failure-modes/{corruption.pk}/sign-off/"
    Membership.objects.create(team=demo, user=bob, role="editor")
    assert api.as_user(bob).post(url).status_code == 403
    response = api.as_user(demo_owner).post(url)
    assert response.status_code == 200
    assert response.json()["review_signed_off_by"] == demo_owner.pk
    corruption.refresh_from_db()
    assert corruption.review_signed_off_at is not None
    mild = FailureMode.objects.filter(team=demo, severity__lt=9).first()
    response = api.as_user(demo_owner).post(f"/api/v1/failure-modes/{mild.pk}/sign-off/")
    assert response.status_code == 400


def test_the_tier_rollups_carry_every_figure_worked_out_by_hand(api, team_a, team_b, victor):
    """The API reads the stored rows: each RiskFigures field by name, with computed_at
    (hand-built register: tests/rollups/hand_built.py)."""
    register = hand_built.build(team_a, team_b)
    rollups.recompute_team(register.team.pk)
    body = api.as_user(victor).get("/api/v1/rollups/tiers/").json()
    by_level = {row["tier_level"]: row for row in body["results"]}
    assert sorted(by_level) == [1, 2, 3, 4]
    assert set(FIGURE_NAMES) | {"computed_at"} <= set(by_level[1])
    for level, expected in hand_built.EXPECTED.items():
        assert {name: by_level[level][name] for name in expected} == expected
        mean = hand_built.EXPECTED_MEAN[level]
        assert by_level[level]["rpn_mean"] == (pytest.approx(mean) if mean else None)
    assert (by_level[1]["application_count"], by_level[1]["step_count"]) == (1, 1)
