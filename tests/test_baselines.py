"""Baselines: frozen revisions of an application's FMEA, their approval, and the diff."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from registry.models import Baseline, ImmutableBaselineError, Membership
from registry.services import baselines
from tests.factories import (
    ActionFactory,
    ApplicationFactory,
    FailureModeFactory,
    StepFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(team_a):
    application = ApplicationFactory(team=team_a, name="Order processing")
    pay = StepFactory(application=application, order=1, name="Pay")
    for mode, ratings in (("Card declined", (5, 5, 5)), ("Provider down", (8, 4, 3))):
        FailureModeFactory(
            step=pay,
            mode=mode,
            severity=ratings[0],
            probability=ratings[1],
            detectability=ratings[2],
        )
    FailureModeFactory(step=pay, mode="Timeout", severity=4, probability=2, detectability=2)
    return application


def test_an_owner_freezes_numbered_revisions(app, alice):
    first = baselines.freeze(application=app, user=alice, title="Q3 review")
    second = baselines.freeze(application=app, user=alice, title="Q4 review", notes="After DR")
    assert (first.number, second.number) == (1, 2)
    assert [row["mode"] for row in first.snapshot["failure_modes"]] == [
        "Card declined",
        "Provider down",
        "Timeout",
    ]
    assert first.snapshot["failure_modes"][1]["rpn"] == 8 * 4 * 3
    assert str(second) == "Order processing Rev 2: Q4 review"


def test_an_editor_cannot_freeze(app, bob):
    with pytest.raises(PermissionDenied):
        baselines.freeze(application=app, user=bob, title="Mine")
    assert not Baseline.objects.exists()


def test_a_baseline_is_never_changed(app, alice):
    baseline = baselines.freeze(application=app, user=alice, title="Q3 review")
    baseline.title = "Rewritten"
    with pytest.raises(ImmutableBaselineError):
        baseline.save()
    assert Baseline.objects.get().title == "Q3 review"


def test_the_creator_approves_only_as_the_sole_owner(app, alice, team_a):
    baseline = baselines.freeze(application=app, user=alice, title="Q3 review")
    approved = baselines.approve(baseline, alice)  # alice is the team's one owner
    assert approved.approved_by == alice and approved.is_approved
    assert approved.stamp == f"Revision 1, approved by alice on {approved.approved_at:%Y-%m-%d}"
    with pytest.raises(ValidationError, match="approved already"):
        baselines.approve(approved, alice)

    owen = UserFactory(username="owen")
    Membership.objects.create(team=team_a, user=owen, role="owner")
    second = baselines.freeze(application=app, user=alice, title="Q4 review")
    with pytest.raises(ValidationError, match="another owner approves it: owen"):
        baselines.approve(second, alice)
    assert baselines.approve(second, owen).approved_by == owen


def test_an_editor_cannot_approve(app, alice, bob):
    baseline = baselines.freeze(application=app, user=alice, title="Q3 review")
    with pytest.raises(PermissionDenied):
        baselines.approve(baseline, bob)


def test_the_diff_lists_one_changed_one_added_and_one_removed_row(app, alice):
    """Change one rating, add a row and delete one: exactly those three, with the
    ratings, RPN and AP before → after."""
    baseline = baselines.freeze(application=app, user=alice, title="Q3 review")
    pay = app.steps.get()
    changed = pay.failure_modes.get(mode="Provider down")
    changed.severity = 9
    changed.save()
    added = FailureModeFactory(
        step=pay, mode="Fraud check slow", severity=3, probability=3, detectability=3
    )
    pay.failure_modes.get(mode="Timeout").delete()
    ActionFactory(failure_mode=pay.failure_modes.get(mode="Card declined"), description="x")
    pay.failure_modes.filter(mode="Card declined").first().actions.all().delete()

    comparison = baselines.compare(baseline, "current")
    assert (comparison.before, comparison.after) == ("Rev 1", "now")
    assert [(c.kind, c.mode) for c in comparison.changes] == [
        ("changed", "Provider down"),
        ("added", "Fraud check slow"),
        ("removed", "Timeout"),
    ]
    provider = comparison.changes[0]
    # Severity 9 with occurrence 4 is AIAG-VDA High; 8/4/3 was Medium.
    assert provider.fields == ["severity", "rpn", "action_priority"]
    assert provider.figures() == [
        ("severity", 8, 9),
        ("probability", 4, 4),
        ("detectability", 3, 3),
        ("rpn", 96, 108),
        ("action_priority", "M", "H"),
    ]
    assert comparison.changes[1].figures()[3] == ("rpn", None, 27)
    assert comparison.counts() == {"added": 1, "removed": 1, "changed": 1}
    assert added.pk == comparison.changes[1].id

    # Frozen again, the two revisions differ by the same three rows, the older first.
    later = baselines.freeze(application=app, user=alice, title="Q4 review")
    between = baselines.compare(later, str(baseline.pk))
    assert (between.before, between.after) == ("Rev 1", "Rev 2")
    assert [(c.kind, c.mode) for c in between.changes] == [
        (c.kind, c.mode) for c in comparison.changes
    ]
    assert baselines.compare(later, "current").changes == []


def test_another_applications_baseline_cannot_be_compared(app, alice, team_a):
    baseline = baselines.freeze(application=app, user=alice, title="Q3 review")
    other = ApplicationFactory(team=team_a, name="Search")
    theirs = baselines.freeze(application=other, user=alice, title="Search Q3")
    with pytest.raises(ValidationError, match="No such baseline"):
        baselines.compare(baseline, str(theirs.pk))
