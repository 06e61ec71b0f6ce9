"""Findings and rollups computed from the database: the demo, figures, idempotency."""

import datetime

import pytest
from django.core.management import call_command
from django.db.models import Avg, Max, Sum

from registry.analysis import rollups
from registry.analysis.findings import refresh_findings
from registry.models import (
    Application,
    ApplicationRollup,
    DrStrategy,
    FailureMode,
    Finding,
    RollupSnapshot,
    Team,
    TeamRecompute,
    Tier,
    TierRollup,
)
from tests.factories import (
    ActionFactory,
    ApplicationFactory,
    FailureModeFactory,
    StepFactory,
    TierFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", verbosity=0)
    return Team.objects.get(slug="demo")


def kinds(team, **filters) -> set[str]:
    return set(Finding.objects.filter(team=team, **filters).values_list("kind", flat=True))


def test_the_demo_gives_the_findings_a_person_would_expect(demo):
    """Tier-1 order processing on backup & restore in one region: a DR gap and a
    single-region finding; its confirm step softly needs a tier-4 application."""
    rollups.recompute_team(demo.pk)
    order = Application.objects.get(team=demo, name="Order processing")
    assert {"dr_strategy_gap", "single_region_high_availability"} <= kinds(demo, application=order)
    gap = Finding.objects.get(team=demo, kind="dr_strategy_gap", application=order)
    assert gap.severity == "critical"
    assert gap.details["recommended_strategy"] == "active_active"
    assert "tier_inversion" in kinds(demo, step__name="Confirm order")
    assert "tier_objectives_inconsistent" in kinds(demo)
    assert "composite_availability_gap" in kinds(demo, step__name="Pay")
    # The silent corruption risk (severity 10, AP H) has no action and no sign-off.
    corruption = FailureMode.objects.get(team=demo, mode__startswith="Silent data corruption")
    assert {"unmitigated_high_risk", "management_review_missing"} <= kinds(
        demo, failure_mode=corruption
    )
    assert "overdue_action" in kinds(demo)
    # Clickstream (tier 4) meets its objectives with backup & restore.
    clickstream = Application.objects.get(team=demo, name="Clickstream analytics")
    assert "dr_strategy_gap" not in kinds(demo, application=clickstream)


def test_a_finding_goes_when_it_is_fixed_and_keeps_first_seen_while_it_lasts(demo):
    """A second region under backup & restore leaves the five-nines finding (the region
    serves nothing until a restore); active/active in both resolves it. A finding that
    lasts keeps its row."""
    refresh_findings(demo.pk)
    order = Application.objects.get(team=demo, name="Order processing")
    gap = Finding.objects.get(team=demo, kind="composite_availability_gap", step__name="Pay")
    order.regions.add(*order.regions.model.objects.filter(code="eu-central-1"))
    refresh_findings(demo.pk)
    assert "single_region_high_availability" in kinds(demo, application=order)
    order.dr_strategy = DrStrategy.objects.get(code="active_active")
    order.save()
    refresh_findings(demo.pk)
    assert "single_region_high_availability" not in kinds(demo, application=order)
    again = Finding.objects.get(team=demo, kind="composite_availability_gap", step__name="Pay")
    assert (again.pk, again.first_seen_at) == (gap.pk, gap.first_seen_at)


def test_a_recompute_rewrites_only_the_findings_whose_words_changed(demo):
    """Renaming an application rewrites its findings' messages (written at the new
    computation time); a finding that says the same keeps its row, untouched."""
    first, second = (
        datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC),
        datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.UTC),
    )
    refresh_findings(demo.pk, now=first)
    order = Application.objects.get(team=demo, name="Order processing")
    gap = Finding.objects.get(team=demo, kind="dr_strategy_gap", application=order)
    tiers = Finding.objects.filter(team=demo, kind="tier_objectives_inconsistent").first()
    order.name = "Orders"
    order.save()
    refresh_findings(demo.pk, now=second)
    gap_again = Finding.objects.get(pk=gap.pk)
    assert gap_again.message.startswith("Orders ") and "Order processing" in gap.message
    assert (gap_again.first_seen_at, gap_again.computed_at) == (first, second)
    tiers_again = Finding.objects.get(pk=tiers.pk)
    assert (tiers_again.message, tiers_again.details) == (tiers.message, tiers.details)
    assert (tiers_again.first_seen_at, tiers_again.computed_at) == (first, first)


def test_tier_rollup_figures_match_the_failure_modes(demo):
    """Counts, max/mean/sum RPN and AP counts of tier 1 equal the SQL of its rows."""
    rollups.recompute_team(demo.pk)
    tier_1 = Tier.objects.get(level=1)
    rollup = TierRollup.objects.get(team=demo, tier=tier_1)
    rows = FailureMode.objects.filter(team=demo, step__application__tier=tier_1)
    stats = rows.aggregate(max=Max("rpn"), mean=Avg("rpn"), sum=Sum("rpn"))
    assert rollup.failure_mode_count == rows.count() == 9
    assert rollup.open_count == rows.filter(status__in=["open", "mitigating"]).count()
    assert (rollup.rpn_max, rollup.rpn_sum) == (stats["max"], stats["sum"])
    assert rollup.rpn_mean == pytest.approx(stats["mean"])
    assert rollup.over_threshold_count == rows.filter(rpn__gt=100).count()
    assert rollup.ap_high_count == rows.filter(action_priority="H").count()
    assert rollup.application_count == 1 and rollup.step_count == 4
    assert rollup.overdue_action_count == 1
    assert rollup.finding_count == Finding.objects.filter(team=demo, tier=tier_1).count()
    assert rollup.findings_by_kind["dr_strategy_gap"] == 1
    # Every tier has a row; tiers without applications show zeros.
    assert TierRollup.objects.filter(team=demo).count() == Tier.objects.count()
    assert TierRollup.objects.get(team=demo, tier__level=2).failure_mode_count == 0
    assert ApplicationRollup.objects.filter(team=demo).count() == 2


def test_rollups_use_revised_priorities_and_overdue_actions(team_a):
    step = StepFactory(application=ApplicationFactory(team=team_a, tier=TierFactory(level=2)))
    revised = FailureModeFactory(step=step, severity=9, probability=8, detectability=2)
    revised.revised_severity, revised.revised_probability, revised.revised_detectability = 2, 2, 2
    revised.save()
    ActionFactory(failure_mode=revised, due_date=datetime.date(2020, 1, 1))
    rollups.refresh_rollups(team_a.pk)
    rollup = TierRollup.objects.get(team=team_a, tier__level=2)
    assert (rollup.ap_high_count, rollup.revised_ap_low_count) == (1, 1)
    assert (rollup.open_action_count, rollup.overdue_action_count) == (1, 1)


def test_recompute_twice_gives_the_same_rows(demo):
    """Idempotent: a second run replaces the rows with equal ones."""

    def snapshot():
        return (
            sorted(Finding.objects.filter(team=demo).values_list("key", "severity", "message")),
            sorted(
                TierRollup.objects.filter(team=demo).values_list(
                    "tier__level", "failure_mode_count", "rpn_sum", "finding_count"
                )
            ),
        )

    rollups.recompute_team(demo.pk)
    first = snapshot()
    state = rollups.recompute_team(demo.pk)
    assert snapshot() == first
    assert state.dirty is False and state.computed_at is not None


def test_snapshots_one_per_team_tier_and_day(demo):
    """Re-running the nightly job on the same day replaces that day's snapshot."""
    day = datetime.date(2026, 11, 27)
    rollups.nightly(day)
    rollups.nightly(day)
    assert RollupSnapshot.objects.filter(team=demo, date=day).count() == Tier.objects.count()
    rollups.nightly(day + datetime.timedelta(days=1))
    assert RollupSnapshot.objects.filter(team=demo).count() == 2 * Tier.objects.count()


def test_changes_mark_the_team_dirty_once_per_transaction(
    team_a, team_b, django_capture_on_commit_callbacks
):
    """1,000 failure modes saved in one transaction queue one recompute of the team."""
    with django_capture_on_commit_callbacks() as callbacks:
        step = StepFactory(application=ApplicationFactory(team=team_a))
        StepFactory(application=ApplicationFactory(team=team_b))
        for n in range(1000):
            FailureModeFactory(step=step, mode=f"mode {n}")
    assert len(callbacks) == 1
    assert callbacks[0].team_ids == {team_a.pk, team_b.pk}
    assert TeamRecompute.objects.get(team=team_a).dirty is True


def test_a_recompute_that_a_change_overtook_queues_the_next_and_one_that_did_not_none(
    team_a, capture_queued
):
    """Changes that find the team waiting queue nothing, so the run must: a change
    requested after the run started (here, an hour ahead) leaves the team dirty and
    queues one more run; a team brought up to date queues none."""
    from registry.analysis import tasks

    StepFactory(application=ApplicationFactory(team=team_a))
    queued = capture_queued(tasks.recompute_team_task)
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)
    TeamRecompute.objects.filter(team=team_a).update(dirty=True, requested_at=later)

    assert tasks.recompute_team_task(team_a.pk) == "recomputed"
    assert TeamRecompute.objects.get(team=team_a).dirty is True
    assert queued == [team_a.pk]

    TeamRecompute.objects.filter(team=team_a).update(requested_at=None)
    assert tasks.recompute_team_task(team_a.pk) == "recomputed"
    assert TeamRecompute.objects.get(team=team_a).dirty is False
    assert queued == [team_a.pk]
    assert tasks.recompute_team_task(team_a.pk) == "up to date"


def test_an_action_resolves_an_unmitigated_risk_finding(demo):
    """Adding an action removes the finding about the risk; other rows stay untouched."""
    refresh_findings(demo.pk)
    corruption = FailureMode.objects.get(team=demo, mode__startswith="Silent data corruption")
    kept = Finding.objects.get(
        team=demo, kind="management_review_missing", failure_mode=corruption
    )
    assert Finding.objects.filter(kind="unmitigated_high_risk", failure_mode=corruption).exists()
    ActionFactory(failure_mode=corruption, description="Add reconciliation jobs")
    refresh_findings(demo.pk)
    assert not Finding.objects.filter(kind="unmitigated_high_risk", failure_mode=corruption)
    again = Finding.objects.get(pk=kept.pk)
    assert again.computed_at == kept.computed_at  # unchanged, so not rewritten
