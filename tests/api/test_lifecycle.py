"""The risk lifecycle through the API: accepting a risk (owners only), closing one,
verified actions, worse revised ratings answered with warnings, and findings set
aside with `findings/{id}/suppress/` and `unsuppress/`."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry.analysis import rollups
from registry.models import FailureMode, FindingSuppression, TierRollup
from tests.factories import ActionFactory, ApplicationFactory, FailureModeFactory, StepFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/failure-modes/"
FINDINGS = "/api/v1/findings/"
TODAY = datetime.date.today()
IN_90_DAYS = str(TODAY + datetime.timedelta(days=90))


@pytest.fixture
def severe(team_a):
    """S10/O8/D9: RPN 720, AP High, no action."""
    step = StepFactory(application=ApplicationFactory(team=team_a, name="Order processing"))
    return FailureModeFactory(step=step, severity=10, probability=8, detectability=9)


ACCEPTANCE = {
    "status": "accepted",
    "acceptance_rationale": "Budgeted for the Q3 migration.",
    "acceptance_expires_on": IN_90_DAYS,
}


def test_an_owner_accepts_a_risk(api, alice, severe):
    response = api.as_user(alice).patch(f"{URL}{severe.pk}/", ACCEPTANCE, format="json")
    assert response.status_code == 200, response.data
    body = response.json()
    assert body["status"] == "accepted" and body["accepted_by"] == alice.pk
    assert body["acceptance_expires_on"] == IN_90_DAYS
    assert body["accepted_at"] is not None


def test_an_editor_asking_to_accept_gets_403_and_nothing_changes(api, bob, severe):
    response = api.as_user(bob).patch(f"{URL}{severe.pk}/", ACCEPTANCE, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Only a team owner can accept a risk."}
    severe.refresh_from_db()
    assert (severe.status, severe.version) == ("open", 1)


def test_accepting_without_a_rationale_is_a_400(api, alice, severe):
    response = api.as_user(alice).patch(f"{URL}{severe.pk}/", {"status": "accepted"})
    assert response.status_code == 400
    assert response.json() == {
        "acceptance_rationale": ["Say why the risk is accepted."],
        "acceptance_expires_on": ["Give the date the acceptance expires."],
    }
    assert FailureMode.objects.get(pk=severe.pk).status == "open"


def test_an_acceptance_runs_at_most_a_year(api, alice, severe):
    too_long = {**ACCEPTANCE, "acceptance_expires_on": str(TODAY + datetime.timedelta(400))}
    response = api.as_user(alice).patch(f"{URL}{severe.pk}/", too_long, format="json")
    assert response.json() == {"acceptance_expires_on": ["An acceptance runs at most a year."]}


def test_an_editor_may_edit_an_accepted_risk_without_deciding_again(api, alice, bob, severe):
    api.as_user(alice).patch(f"{URL}{severe.pk}/", ACCEPTANCE, format="json")
    response = api.as_user(bob).patch(f"{URL}{severe.pk}/", {"effect": "Orders are late"})
    assert response.status_code == 200, response.data
    assert response.json()["accepted_by"] == alice.pk


def test_closing_needs_a_reason(api, bob, severe):
    response = api.as_user(bob).patch(f"{URL}{severe.pk}/", {"status": "closed"})
    assert response.json() == {
        "closed_reason": ["Say why the failure mode is closed (no longer applies)."]
    }
    response = api.as_user(bob).patch(
        f"{URL}{severe.pk}/", {"status": "closed", "closed_reason": "Provider replaced."}
    )
    assert response.status_code == 200


def test_worse_revised_ratings_are_saved_with_warnings(api, bob, team_a):
    """5/5/5 re-rated 9/9/9: 200, saved, and a warning per worse rating."""
    step = StepFactory(application=ApplicationFactory(team=team_a))
    failure_mode = FailureModeFactory(step=step, severity=5, probability=5, detectability=5)
    response = api.as_user(bob).patch(
        f"{URL}{failure_mode.pk}/",
        {"revised_severity": 9, "revised_probability": 9, "revised_detectability": 9},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["revised_rpn"], body["revised_worse"], body["current_rpn"]) == (729, True, 729)
    assert body["warnings"] == [
        "Revised severity 9 is worse than the initial 5.",
        "Revised probability 9 is worse than the initial 5.",
        "Revised detectability 9 is worse than the initial 5.",
    ]
    listed = api.get(URL).json()["results"][0]
    assert listed["revised_worse"] is True and "warnings" not in listed


def test_a_verified_action_records_who_and_its_evidence(api, bob, severe):
    action = ActionFactory(
        failure_mode=severe,
        status="done",
        completed_at=datetime.datetime(2026, 5, 2, tzinfo=datetime.UTC),
        kind="detection",
    )
    url = f"/api/v1/actions/{action.pk}/"
    refused = api.as_user(bob).patch(url, {"status": "verified"})
    assert refused.json() == {"verification_evidence": ["Say how the action was shown to work."]}
    response = api.patch(url, {"status": "verified", "verification_evidence": "Drill 3 May."})
    assert response.status_code == 200, response.data
    body = response.json()
    assert (body["kind"], body["verified_by"]) == ("detection", bob.pk)
    assert body["verified_at"] is not None and body["completed_at"] is not None


# --- findings set aside ----------------------------------------------------------------


@pytest.fixture
def finding(severe):
    rollups.recompute_team(severe.team_id)
    return severe.findings.get(kind="unmitigated_high_risk")


SUPPRESSION = {"status": "accepted", "reason": "Known exception.", "expires_on": IN_90_DAYS}


def test_an_editor_suppresses_and_lifts_a_finding(api, bob, finding):
    response = api.as_user(bob).post(f"{FINDINGS}{finding.pk}/suppress/", SUPPRESSION)
    assert response.status_code == 201, response.data
    suppression = response.json()["suppression"]
    assert (suppression["status"], suppression["created_by"]) == ("accepted", "bob")
    listed = {row["id"] for row in api.get(FINDINGS).json()["results"]}
    assert finding.pk not in listed
    suppressed = api.get(FINDINGS, {"suppressed": "true"}).json()["results"]
    assert [row["id"] for row in suppressed] == [finding.pk]
    rollups.recompute_team(finding.team_id)
    tier = TierRollup.objects.get(team_id=finding.team_id, tier=finding.tier_id)
    assert tier.findings_by_kind.get("unmitigated_high_risk", 0) == 0
    response = api.post(f"{FINDINGS}{finding.pk}/unsuppress/")
    assert response.status_code == 200 and response.json()["suppression"] is None
    assert finding.pk in {row["id"] for row in api.get(FINDINGS).json()["results"]}


def test_a_viewer_cannot_suppress(api, victor, finding):
    response = api.as_user(victor).post(f"{FINDINGS}{finding.pk}/suppress/", SUPPRESSION)
    assert response.status_code == 403
    assert not FindingSuppression.objects.exists()


def test_another_team_cannot_see_the_finding(api, charlie, finding):
    response = api.as_user(charlie).post(f"{FINDINGS}{finding.pk}/suppress/", SUPPRESSION)
    assert response.status_code == 404


def test_a_suppression_needs_a_reason_and_a_near_expiry(api, bob, finding):
    response = api.as_user(bob).post(
        f"{FINDINGS}{finding.pk}/suppress/",
        {**SUPPRESSION, "reason": " ", "expires_on": str(TODAY + datetime.timedelta(400))},
    )
    assert response.status_code == 400
    assert set(response.json()) == {"reason"} or set(response.json()) == {
        "reason",
        "expires_on",
    }
    assert not FindingSuppression.objects.exists()


def test_the_findings_list_keeps_a_fixed_number_of_queries(api, bob, finding):
    """With a suppression in force and five more severe risks (ten more findings), the
    list makes no more queries than with one."""
    api.as_user(bob)
    with CaptureQueriesContext(connection) as one:
        before = len(api.get(FINDINGS).json()["results"])
    assert len(one) <= 8
    for _ in range(5):
        FailureModeFactory(
            step=finding.failure_mode.step, severity=10, probability=8, detectability=9
        )
    rollups.recompute_team(finding.team_id)
    api.post(f"{FINDINGS}{finding.pk}/suppress/", SUPPRESSION)
    with CaptureQueriesContext(connection) as more:
        rows = api.get(FINDINGS).json()["results"]
    assert len(rows) == before + 10 - 1
    assert len(more) == len(one), [q["sql"] for q in more.captured_queries]
