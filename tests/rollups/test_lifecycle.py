"""The lifecycle of a risk: residual risk drives the findings, acceptance is a dated
decision by an owner, sign-offs lapse, worse revised ratings are flagged, and findings
can be set aside until they expire or their figures change.

Ratings and priorities are worked out by hand from data/action_priority.csv; Tier 1
acts above RPN 100."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from registry.analysis import figures, rollups
from registry.analysis.findings import refresh_findings
from registry.models import FailureMode, Finding, FindingSuppression, Step, Tier, TierRollup
from registry.services.findings import suppress_finding, unsuppress_finding
from registry.services.reference_data import load_reference_data
from tests.factories import ActionFactory, ApplicationFactory, FailureModeFactory, StepFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()
DONE_AT = datetime.datetime(2026, 1, 5, tzinfo=datetime.UTC)


@pytest.fixture
def step(team_a):
    load_reference_data()
    application = ApplicationFactory(
        team=team_a, name="Order processing", tier=Tier.objects.get(level=1)
    )
    return StepFactory(application=application, order=1, name="Pay")


def kinds_of(failure_mode: FailureMode) -> set[str]:
    refresh_findings(failure_mode.team_id)
    return set(failure_mode.findings.values_list("kind", flat=True))


def rated(step, ratings, **fields) -> FailureMode:
    severity, probability, detectability = ratings
    return FailureModeFactory(
        step=step,
        severity=severity,
        probability=probability,
        detectability=detectability,
        **fields,
    )


def rerate(failure_mode: FailureMode, ratings) -> None:
    (
        failure_mode.revised_severity,
        failure_mode.revised_probability,
        failure_mode.revised_detectability,
    ) = ratings
    failure_mode.save()


def test_a_done_action_without_a_rerating_is_still_a_high_risk(step):
    """S8/O8/D5 (RPN 320, AP High) whose only action is done, not re-rated: the risk has
    no open action, and its re-rating is missing."""
    failure_mode = rated(step, (8, 8, 5))
    ActionFactory(failure_mode=failure_mode, status="done", completed_at=DONE_AT)
    assert kinds_of(failure_mode) == {"unmitigated_high_risk", "rerating_missing"}


def test_rerated_and_still_high_is_an_unmitigated_high_risk(step):
    """Re-rated 8/6/5: revised RPN 240, revised AP High (S7-8, P6-7, D2-10)."""
    failure_mode = rated(step, (8, 8, 5))
    ActionFactory(failure_mode=failure_mode, status="done", completed_at=DONE_AT)
    rerate(failure_mode, (8, 6, 5))
    failure_mode.refresh_from_db()
    assert (failure_mode.current_rpn, failure_mode.current_action_priority) == (240, "H")
    assert kinds_of(failure_mode) == {"unmitigated_high_risk"}
    finding = failure_mode.findings.get()
    assert finding.details["current_rpn"] == 240
    assert "current RPN 240" in finding.message


def test_rerated_low_raises_nothing(step):
    """Re-rated 8/2/3: revised RPN 48, AP Low (S7-8, P2-3, D1-4): the risk is dealt with."""
    failure_mode = rated(step, (8, 8, 5))
    ActionFactory(
        failure_mode=failure_mode,
        status="verified",
        completed_at=DONE_AT,
        verified_at=DONE_AT,
        verification_evidence="Load test at 3x peak.",
    )
    rerate(failure_mode, (8, 2, 3))
    failure_mode.refresh_from_db()
    assert (failure_mode.current_rpn, failure_mode.current_action_priority) == (48, "L")
    assert kinds_of(failure_mode) == set()


def test_an_open_action_is_what_mitigates(step):
    failure_mode = rated(step, (8, 8, 5))
    ActionFactory(failure_mode=failure_mode, status="open")
    ActionFactory(failure_mode=failure_mode, status="done", completed_at=DONE_AT)
    assert kinds_of(failure_mode) == set()


def test_accepting_without_a_rationale_is_refused(step, alice):
    """S10/O8/D9 (AP High) set to accepted with no rationale nor expiry."""
    failure_mode = rated(step, (10, 8, 9))
    failure_mode.status = "accepted"
    failure_mode.decided_by = alice
    with pytest.raises(ValidationError) as refused:
        failure_mode.full_clean()
    assert refused.value.message_dict == {
        "acceptance_rationale": ["Say why the risk is accepted."],
        "acceptance_expires_on": ["Give the date the acceptance expires."],
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        FailureMode.objects.filter(pk=failure_mode.pk).update(status="accepted")


def test_only_an_owner_accepts_and_at_most_a_year_ahead(step, alice, bob):
    failure_mode = rated(step, (10, 8, 9))
    failure_mode.status = "accepted"
    failure_mode.acceptance_rationale = "Budgeted for the Q3 migration."
    failure_mode.acceptance_expires_on = TODAY + datetime.timedelta(days=367)
    failure_mode.decided_by = bob  # an editor
    with pytest.raises(ValidationError) as refused:
        failure_mode.full_clean()
    assert refused.value.message_dict == {
        "status": ["Only a team owner can accept a risk."],
        "acceptance_expires_on": ["An acceptance runs at most a year."],
    }
    failure_mode.decided_by = alice
    failure_mode.acceptance_expires_on = TODAY + datetime.timedelta(days=365)
    failure_mode.full_clean()
    failure_mode.save()
    failure_mode.refresh_from_db()
    assert failure_mode.accepted_by == alice and failure_mode.accepted_at is not None


def accept(failure_mode: FailureMode, owner, expires_on: datetime.date) -> None:
    failure_mode.status = "accepted"
    failure_mode.acceptance_rationale = "A known, budgeted exception."
    failure_mode.acceptance_expires_on = expires_on
    failure_mode.decided_by = owner
    failure_mode.full_clean()
    failure_mode.save()


def test_a_valid_acceptance_leaves_unmitigated_but_not_the_review(step, alice):
    """Accepted S10/O8/D9, no action, no sign-off: no longer unmitigated while the
    acceptance holds, but a severity 10 risk still needs its management review."""
    failure_mode = rated(step, (10, 8, 9))
    assert kinds_of(failure_mode) == {"unmitigated_high_risk", "management_review_missing"}
    accept(failure_mode, alice, TODAY + datetime.timedelta(days=30))
    assert kinds_of(failure_mode) == {"management_review_missing"}


def test_an_expired_acceptance_comes_back(step, alice):
    failure_mode = rated(step, (10, 8, 9))
    accept(failure_mode, alice, TODAY + datetime.timedelta(days=30))
    FailureMode.objects.filter(pk=failure_mode.pk).update(
        acceptance_expires_on=TODAY - datetime.timedelta(days=1)
    )
    assert kinds_of(failure_mode) == {
        "acceptance_expired",
        "unmitigated_high_risk",
        "management_review_missing",
    }
    expired = failure_mode.findings.get(kind="acceptance_expired")
    assert expired.severity == "high"
    assert str(TODAY - datetime.timedelta(days=1)) in expired.message


def test_closed_needs_a_reason_and_leaves_the_rules(step):
    failure_mode = rated(step, (10, 8, 9))
    failure_mode.status = "closed"
    with pytest.raises(ValidationError) as refused:
        failure_mode.full_clean()
    assert refused.value.message_dict == {
        "closed_reason": ["Say why the failure mode is closed (no longer applies)."]
    }
    failure_mode.closed_reason = "The payment provider was replaced."
    failure_mode.full_clean()
    failure_mode.save()
    assert kinds_of(failure_mode) == set()


def test_a_rating_change_lapses_the_sign_off(step, alice):
    """Sign off S10/O8/D9, then raise it to 10/9/10 (RPN 900): the sign-off lapses, the
    history says why, and the review finding is back."""
    failure_mode = rated(step, (10, 8, 9))
    ActionFactory(failure_mode=failure_mode, status="open")
    failure_mode.sign_off_review(alice)
    assert kinds_of(failure_mode) == set()
    failure_mode = FailureMode.objects.get(pk=failure_mode.pk)
    failure_mode.probability, failure_mode.detectability = 9, 10
    failure_mode.save()
    failure_mode.refresh_from_db()
    assert failure_mode.rpn == 900
    assert (failure_mode.review_signed_off_by, failure_mode.review_signed_off_at) == (None, None)
    latest = failure_mode.history.order_by("-history_id").first()
    assert latest.history_change_reason == (
        "Management sign-off lapsed: probability, detectability changed."
    )
    assert kinds_of(failure_mode) == {"management_review_missing"}


def test_a_change_to_other_fields_keeps_the_sign_off(step, alice):
    failure_mode = rated(step, (10, 8, 9))
    failure_mode.sign_off_review(alice)
    failure_mode = FailureMode.objects.get(pk=failure_mode.pk)
    failure_mode.effect = "Orders are lost"
    failure_mode.save()
    failure_mode.refresh_from_db()
    assert failure_mode.review_signed_off_by == alice


def test_worse_revised_ratings_are_saved_and_flagged(step):
    """5/5/5 re-rated 9/9/9: saved, with one warning per rating."""
    failure_mode = rated(step, (5, 5, 5))
    rerate(failure_mode, (9, 9, 9))
    failure_mode.refresh_from_db()
    assert failure_mode.revised_rpn == 729 and failure_mode.revised_worse is True
    assert failure_mode.rating_warnings == [
        "Revised severity 9 is worse than the initial 5.",
        "Revised probability 9 is worse than the initial 5.",
        "Revised detectability 9 is worse than the initial 5.",
    ]
    better = rated(step, (5, 5, 5))
    rerate(better, (5, 4, 5))
    better.refresh_from_db()
    assert better.revised_worse is False and better.rating_warnings == []


def test_rollups_count_current_and_accepted_priorities(step, alice):
    """Three rows: 8/8/5 re-rated 8/2/3 (initial H, current L); 10/8/9 accepted (H);
    5/5/5 (L: S4-6, P4-5, D1-6)."""
    rerated = rated(step, (8, 8, 5))
    rerate(rerated, (8, 2, 3))
    accept(rated(step, (10, 8, 9)), alice, TODAY + datetime.timedelta(days=90))
    rated(step, (5, 5, 5))
    rollups.recompute_team(step.application.team_id)
    tier = TierRollup.objects.get(team_id=step.application.team_id, tier__level=1)
    assert (tier.ap_high_count, tier.ap_low_count) == (2, 1)
    assert (tier.revised_ap_low_count, tier.revised_ap_high_count) == (1, 0)
    assert (tier.current_ap_high_count, tier.current_ap_low_count) == (1, 2)
    assert (tier.accepted_ap_high_count, tier.accepted_ap_low_count) == (1, 0)


# --- suppressed findings ---------------------------------------------------------------


@pytest.fixture
def unmitigated(step):
    """S8/O8/D5 without an action: one unmitigated_high_risk finding."""
    failure_mode = rated(step, (8, 8, 5))
    rollups.recompute_team(step.application.team_id)
    return failure_mode.findings.get(kind="unmitigated_high_risk")


def suppress(finding, user, days=30) -> FindingSuppression:
    return suppress_finding(
        finding,
        user=user,
        status="accepted",
        reason="Budgeted: replaced in the Q3 migration.",
        expires_on=TODAY + datetime.timedelta(days=days),
    )


def finding_count(team_id: int) -> int:
    return TierRollup.objects.get(team_id=team_id, tier__level=1).finding_count


def test_a_suppressed_finding_leaves_counts_and_lists(unmitigated, bob):
    team_id = unmitigated.team_id
    before = finding_count(team_id)
    suppress(unmitigated, bob)
    rollups.recompute_team(team_id)
    assert finding_count(team_id) == before - 1
    assert unmitigated not in Finding.objects.for_team(team_id).unsuppressed()
    assert [f.pk for f in figures.suppressed_findings(team_id)] == [unmitigated.pk]
    assert unmitigated.pk not in {f.pk for f in figures.findings(team_id)}
    # A recompute with the same figures keeps it set aside.
    rollups.recompute_team(team_id)
    assert Finding.objects.for_team(team_id).suppressed().get() == unmitigated


def test_a_suppression_ends_when_the_figures_change(unmitigated, bob):
    """Severity 8 → 9: current RPN 320 → 360, a new fingerprint: the finding is back."""
    suppression = suppress(unmitigated, bob)
    failure_mode = FailureMode.objects.get(pk=unmitigated.failure_mode_id)
    failure_mode.severity = 9
    failure_mode.save()
    rollups.recompute_team(unmitigated.team_id)
    suppression.refresh_from_db()
    assert suppression.end_reason == "figures_changed" and suppression.ended_at is not None
    assert (
        Finding.objects.for_team(unmitigated.team_id)
        .unsuppressed()
        .filter(pk=unmitigated.pk, details__current_rpn=360)
        .exists()
    )


def test_a_suppression_ends_when_its_finding_is_resolved(unmitigated, bob):
    """An open action on the S8/O8/D5 failure mode mitigates it: the finding goes, and
    its suppression is kept as history, ended as resolved."""
    suppression = suppress(unmitigated, bob)
    ActionFactory(failure_mode_id=unmitigated.failure_mode_id, status="open")
    rollups.recompute_team(unmitigated.team_id)
    suppression.refresh_from_db()
    assert (suppression.end_reason, suppression.finding_id) == ("resolved", None)
    assert not Finding.objects.filter(pk=unmitigated.pk).exists()


def test_a_suppressed_finding_about_the_set_up_resolves_too(step, bob):
    """A tier 1 worksheet last reviewed 400 days ago is overdue (its interval is 90
    days); suppressed, then reviewed today, the finding goes and its suppression ends
    as resolved."""
    Step.objects.filter(pk=step.pk).update(
        last_reviewed_at=timezone.now() - datetime.timedelta(days=400)
    )
    rollups.recompute_team(step.application.team_id)
    finding = Finding.objects.get(key=f"review_overdue:step:{step.pk}")
    suppression = suppress(finding, bob)
    Step.objects.filter(pk=step.pk).update(last_reviewed_at=timezone.now())
    rollups.recompute_team(step.application.team_id)
    suppression.refresh_from_db()
    assert (suppression.end_reason, suppression.finding_id) == ("resolved", None)
    assert not Finding.objects.filter(pk=finding.pk).exists()


def test_a_suppression_ends_on_expiry(unmitigated, bob):
    suppression = suppress(unmitigated, bob)
    FindingSuppression.objects.filter(pk=suppression.pk).update(
        expires_on=TODAY - datetime.timedelta(days=1)
    )
    # Already counted again before the recompute records the end.
    assert Finding.objects.for_team(unmitigated.team_id).suppressed().count() == 0
    rollups.recompute_team(unmitigated.team_id)
    suppression.refresh_from_db()
    assert suppression.end_reason == "expired"


def test_a_suppression_is_lifted_by_hand_and_kept_as_history(unmitigated, bob):
    suppression = suppress(unmitigated, bob)
    assert unsuppress_finding(unmitigated, user=bob) == 1
    suppression.refresh_from_db()
    assert (suppression.end_reason, suppression.ended_by) == ("lifted", bob)
    assert unsuppress_finding(unmitigated, user=bob) == 0


def test_a_suppression_needs_a_reason_and_at_most_a_year(unmitigated, bob):
    with pytest.raises(ValidationError) as refused:
        suppress_finding(
            unmitigated,
            user=bob,
            status="accepted",
            reason=" ",
            expires_on=TODAY + datetime.timedelta(days=400),
        )
    assert refused.value.message_dict == {
        "reason": ["Say why the finding is set aside."],
        "expires_on": ["A suppression runs at most a year."],
    }
    suppress(unmitigated, bob)
    with pytest.raises(ValidationError) as twice:
        suppress(unmitigated, bob)
    assert twice.value.message_dict == {"finding": ["This finding is already suppressed."]}
    assert FindingSuppression.objects.count() == 1


def test_an_expired_legacy_acceptance_is_decided_again(step):
    """What migration 0013 and an import give a row accepted without a rationale: an
    acceptance that expires today, so it is back in force tomorrow."""
    failure_mode = rated(step, (10, 8, 9), status="accepted")
    FailureMode.objects.filter(pk=failure_mode.pk).update(acceptance_expires_on=TODAY)
    assert "acceptance_expired" not in kinds_of(failure_mode)
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    refresh_findings(failure_mode.team_id, tomorrow)
    assert failure_mode.findings.filter(kind="acceptance_expired").exists()
