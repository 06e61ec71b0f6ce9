"""The risk lifecycle in the browser and the admin: accepting a risk on the failure
mode's page (owners; an editor gets a form error), the live warning about worse revised
ratings and its mark, verified actions, a lapsed sign-off in the history, and the
findings page that sets findings aside."""

import datetime

import pytest
from django.urls import reverse

from registry.analysis import rollups
from registry.models import FailureMode, FindingSuppression
from tests.factories import ActionFactory, FailureModeFactory
from tests.views.test_worksheet import HTMX, row_data

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
IN_90_DAYS = str(TODAY + datetime.timedelta(days=90))


@pytest.fixture
def severe(register):
    """S10/O8/D9 in team A's step (Tier 1): RPN 720, AP High, no action."""
    return FailureModeFactory(
        step=register.step, mode="Ledger lost", severity=10, probability=8, detectability=9
    )


def edit_data(failure_mode: FailureMode, **overrides) -> dict:
    data = row_data(failure_mode, severity="10", probability="8", detectability="9")
    return {
        **data,
        "acceptance_rationale": "",
        "acceptance_expires_on": "",
        "closed_reason": "",
        **overrides,
    }


ACCEPTANCE = {
    "status": "accepted",
    "acceptance_rationale": "Budgeted for the Q3 migration.",
    "acceptance_expires_on": IN_90_DAYS,
}


def test_an_owner_accepts_a_risk_on_its_page(as_alice, alice, severe):
    response = as_alice.post(f"/failure-modes/{severe.pk}/edit/", edit_data(severe, **ACCEPTANCE))
    assert response.status_code == 302, response.content.decode()[:2000]
    severe.refresh_from_db()
    assert (severe.status, severe.accepted_by) == ("accepted", alice)
    page = as_alice.get(f"/failure-modes/{severe.pk}/").content.decode()
    assert "Risk accepted</strong> by alice" in page
    assert f"until {IN_90_DAYS}" in page and "Budgeted for the Q3 migration." in page
    assert "Accepted by: <del>—</del> → <ins>alice</ins>" in page  # in the history


def test_an_editor_accepting_gets_a_form_error(as_bob, severe):
    response = as_bob.post(f"/failure-modes/{severe.pk}/edit/", edit_data(severe, **ACCEPTANCE))
    assert response.status_code == 422
    assert "Only a team owner can accept a risk." in response.content.decode()
    assert FailureMode.objects.get(pk=severe.pk).status == "open"


def test_accepting_without_a_rationale_is_refused_on_the_page(as_alice, severe):
    response = as_alice.post(
        f"/failure-modes/{severe.pk}/edit/", edit_data(severe, status="accepted")
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "Say why the risk is accepted." in html
    assert "Give the date the acceptance expires." in html


def test_the_worksheet_row_refuses_an_acceptance_without_its_decision(as_alice, severe):
    """The one-line row has no room for a rationale: the refusal says what is missing."""
    response = as_alice.post(
        f"/failure-modes/{severe.pk}/row/edit/",
        {**edit_data(severe, status="accepted"), "row": f"fm-{severe.pk}"},
        **HTMX,
    )
    assert response.status_code == 422
    assert "Accept or close a failure mode on its page (Edit)" in response.content.decode()


def test_the_preview_warns_of_worse_revised_ratings_before_saving(as_bob, register):
    response = as_bob.get(
        f"/failure-modes/{register.fm.pk}/row/preview/",
        {
            "row": f"fm-{register.fm.pk}",
            "severity": "5",
            "probability": "5",
            "detectability": "5",
            "revised_severity": "9",
            "revised_probability": "5",
            "revised_detectability": "4",
        },
        **HTMX,
    )
    html = response.content.decode()
    assert f'id="fm-{register.fm.pk}-warn" class="rating-warnings" hx-swap-oob="true"' in html
    assert "Revised severity 9 is worse than the initial 5." in html
    assert "probability" not in html.split("rating-warnings")[1]


def test_a_saved_worse_row_is_marked_in_the_worksheet(as_bob, register):
    fm = register.fm  # 7/4/2
    data = row_data(
        fm,
        component=str(fm.component_id),
        severity="7",
        probability="4",
        detectability="2",
        revised_severity="7",
        revised_probability="6",
        revised_detectability="2",
    )
    response = as_bob.post(
        f"/failure-modes/{fm.pk}/row/edit/", {**data, "row": f"fm-{fm.pk}"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Flagged: Revised probability 6 is worse than the initial 4." in html
    page = as_bob.get(f"/steps/{register.step.pk}/").content.decode()
    assert 'class="badge badge-warn" title="Revised probability 6 is worse' in page


def test_a_verified_action_shows_distinctly(as_bob, bob, register):
    ActionFactory(
        failure_mode=register.fm,
        status="verified",
        completed_at=datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC),
        verified_at=datetime.datetime(2026, 5, 3, tzinfo=datetime.UTC),
        verified_by=bob,
        verification_evidence="Failover drill on 3 May: 40 s.",
    )
    worksheet = as_bob.get(f"/steps/{register.step.pk}/").content.decode()
    assert "✓ 1 verified" in worksheet
    page = as_bob.get(f"/failure-modes/{register.fm.pk}/").content.decode()
    assert "Verified</span> by bob on 2026-05-03: Failover drill on 3 May: 40 s." in page


def test_the_history_shows_a_lapsed_sign_off(as_alice, alice, severe):
    severe.sign_off_review(alice)
    severe = FailureMode.objects.get(pk=severe.pk)
    response = as_alice.post(
        f"/failure-modes/{severe.pk}/edit/", edit_data(severe, probability="9", detectability="10")
    )
    assert response.status_code == 302
    page = as_alice.get(f"/failure-modes/{severe.pk}/").content.decode()
    assert "Management sign-off lapsed: probability, detectability changed." in page
    assert "Needs management review:</strong> severity 10" in page


# --- the findings page -------------------------------------------------------------------


@pytest.fixture
def finding(severe):
    rollups.recompute_team(severe.team_id)
    return severe.findings.get(kind="unmitigated_high_risk")


def test_an_editor_sets_a_finding_aside_and_lifts_it(as_bob, bob, finding):
    page = as_bob.get("/findings/").content.decode()
    assert f'action="/findings/{finding.pk}/suppress/"' in page
    response = as_bob.post(
        f"/findings/{finding.pk}/suppress/",
        {
            "status": "not_applicable",
            "reason": "The ledger is rebuilt nightly.",
            "expires_on": IN_90_DAYS,
        },
    )
    assert response.status_code == 302
    page = as_bob.get("/findings/").content.decode()
    counting, aside = page.split('id="suppressed"')
    assert finding.message not in counting
    assert finding.message in aside and "The ledger is rebuilt nightly." in aside
    assert "Not applicable" in aside
    assert finding.message not in as_bob.get("/").content.decode()
    as_bob.post(f"/findings/{finding.pk}/unsuppress/")
    page = as_bob.get("/findings/").content.decode()
    assert "lifted by hand (bob)" in page


def test_a_refused_suppression_shows_its_errors(as_bob, finding):
    response = as_bob.post(
        f"/findings/{finding.pk}/suppress/",
        {"status": "accepted", "reason": "", "expires_on": str(TODAY + datetime.timedelta(400))},
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "Say why the finding is set aside." in html
    assert "A suppression runs at most a year." in html
    assert not FindingSuppression.objects.exists()


def test_a_viewer_sees_no_suppress_form_and_cannot_post(as_victor, finding):
    assert "/suppress/" not in as_victor.get("/findings/").content.decode()
    response = as_victor.post(
        f"/findings/{finding.pk}/suppress/",
        {"status": "accepted", "reason": "x", "expires_on": IN_90_DAYS},
    )
    assert response.status_code == 403


# --- the admin ---------------------------------------------------------------------------


def admin_data(failure_mode: FailureMode, **overrides) -> dict:
    data = {
        "step": failure_mode.step_id,
        "component": "",
        "mode": failure_mode.mode,
        "failure_category": failure_mode.failure_category,
        "status": failure_mode.status,
        "effect": "",
        "cause": "",
        "prevention_controls": "",
        "detection_controls": "",
        "severity": failure_mode.severity,
        "probability": failure_mode.probability,
        "detectability": failure_mode.detectability,
        "revised_severity": "",
        "revised_probability": "",
        "revised_detectability": "",
        "acceptance_rationale": "",
        "acceptance_expires_on": "",
        "accepted_by": "",
        "closed_reason": "",
        "review_signed_off_by": "",
        "review_signed_off_at_0": "",
        "review_signed_off_at_1": "",
        "actions-TOTAL_FORMS": "0",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "1000",
    }
    return {**data, **overrides}


def test_the_admin_applies_the_same_acceptance_rules(admin_client, alice, bob, severe):
    url = reverse("admin:registry_failuremode_change", args=[severe.pk])
    response = admin_client.post(url, admin_data(severe, status="accepted"))
    assert response.status_code == 200
    assert "Say why the risk is accepted." in response.content.decode()
    by_editor = admin_data(severe, **ACCEPTANCE, accepted_by=bob.pk)
    response = admin_client.post(url, by_editor)
    assert "Only a team owner can accept a risk." in response.content.decode()
    response = admin_client.post(url, admin_data(severe, **ACCEPTANCE, accepted_by=alice.pk))
    assert response.status_code == 302
    severe.refresh_from_db()
    assert (severe.status, severe.accepted_by) == ("accepted", alice)


def test_an_editor_verifies_a_done_action_with_its_evidence(as_bob, bob, register):
    action = ActionFactory(
        failure_mode=register.fm,
        status="done",
        completed_at=datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC),
    )
    data = {
        "version": action.version,
        "description": action.description,
        "kind": "detection",
        "owner": "alice",
        "due_date": "",
        "status": "verified",
        "notes": "",
        "verification_evidence": "",
    }
    refused = as_bob.post(f"/actions/{action.pk}/edit/", data)
    assert refused.status_code == 422
    assert "Say how the action was shown to work." in refused.content.decode()
    data["verification_evidence"] = "Alarm fired in the 3 May drill within 40 s."
    assert as_bob.post(f"/actions/{action.pk}/edit/", data).status_code == 302
    action.refresh_from_db()
    assert (action.status, action.kind, action.verified_by) == ("verified", "detection", bob)
    assert action.verified_at is not None and action.completed_at is not None
