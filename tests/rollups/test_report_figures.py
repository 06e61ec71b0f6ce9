"""A report's figures: a whole-team report reads the stored tier rollups; a report on
part of a team computes the same figures over its rows (hand-built register:
tests/rollups/hand_built.py)."""

import pytest

from registry.analysis import recompute, rollups
from registry.models import TierRollup
from registry.models.rollups import FIGURE_NAMES
from registry.reports import data
from registry.reports.scope import Scope
from tests.rollups import hand_built

pytestmark = pytest.mark.django_db


@pytest.fixture
def register(team_a, team_b):
    return hand_built.build(team_a, team_b)


def figures_of(row, names=FIGURE_NAMES) -> dict:
    return {name: getattr(row, name) for name in names}


def test_a_whole_team_report_shows_the_stored_tier_rollups(register):
    rollups.recompute_team(register.team.pk)
    rows = data.tier_rows(Scope(team_id=register.team.pk))
    stored = TierRollup.objects.filter(team=register.team).order_by("tier__level")
    assert [row.tier.level for row in rows] == [1, 2, 3, 4]
    for row, rollup in zip(rows, stored, strict=True):
        assert figures_of(row) == figures_of(rollup)
        assert row.computed_at == rollup.computed_at
    for row in rows:
        expected = hand_built.EXPECTED[row.tier.level]
        assert figures_of(row, expected) == expected
        assert row.rpn_mean == pytest.approx(hand_built.EXPECTED_MEAN[row.tier.level])


def test_a_whole_team_report_reads_the_rollup_rows_themselves(register):
    """The stored row is what the report shows, not a second computation."""
    rollups.recompute_team(register.team.pk)
    TierRollup.objects.filter(team=register.team, tier__level=1).update(failure_mode_count=99)
    rows = data.tier_rows(Scope(team_id=register.team.pk))
    assert rows[0].failure_mode_count == 99


def test_a_whole_team_report_waits_for_no_recompute(register):
    """While a change is waiting for its recompute, the stored rows are out of date:
    the report computes the same figures from the register."""
    rollups.recompute_team(register.team.pk)
    TierRollup.objects.filter(team=register.team, tier__level=1).update(failure_mode_count=99)
    recompute.mark_dirty({register.team.pk})
    assert data.tier_rows(Scope(team_id=register.team.pk))[0].failure_mode_count == 3


def test_a_report_on_open_tier_1_risks_computes_its_own_figures(register):
    """Tier 1, open and mitigating only: 180 (H, open) and 56 (M, mitigating)."""
    rollups.recompute_team(register.team.pk)
    scope = Scope(team_id=register.team.pk, tiers=(1,), statuses=("open", "mitigating"))
    (row,) = data.tier_rows(scope)
    assert row.tier.level == 1
    assert figures_of(row, hand_built.EXPECTED[1]) == {
        "failure_mode_count": 2,
        "open_count": 2,
        "rpn_max": 180,
        "rpn_sum": 236,
        "over_threshold_count": 1,
        "ap_high_count": 1,
        "ap_medium_count": 1,
        "ap_low_count": 0,
        "open_action_count": 3,
        "overdue_action_count": 2,
    }
    assert row.rpn_mean == pytest.approx(118)
    total = data.all_tiers([row])
    assert (total.tier, total.failure_mode_count, total.rpn_max) == (None, 2, 180)
    assert data.priority_counts(scope.failure_modes()) == {
        "current": {"H": 1, "M": 1, "L": 0},
        "revised": {"H": 0, "M": 0, "L": 0},
    }


def test_a_report_on_one_application_counts_only_its_rows(register):
    """Reporting (tier 3): 125 and 126; every other tier is empty."""
    scope = Scope(team_id=register.team.pk, applications=(register.reporting.pk,))
    rows = {row.tier.level: row for row in data.tier_rows(scope)}
    assert (rows[3].failure_mode_count, rows[3].open_count, rows[3].rpn_max) == (2, 1, 126)
    assert rows[3].rpn_mean == pytest.approx(125.5)
    assert rows[1].failure_mode_count == 0 and rows[1].rpn_max is None
    total = data.all_tiers(list(rows.values()))
    assert (total.failure_mode_count, total.rpn_sum) == (2, 251)
    assert total.rpn_mean == pytest.approx(125.5)


def test_the_report_pareto_and_heat_map_are_the_scopes(register):
    scope = Scope(team_id=register.team.pk, tiers=(3,))
    items = data.pareto_rows(scope.failure_modes())
    assert [(item.rpn, item.label) for item in items] == [
        (126, "Export late (Reporting / Export)"),
        (125, "Export empty (Reporting / Export)"),
    ]
    assert items[0].cumulative_share == pytest.approx(100 * 126 / 251)
    assert items[1].cumulative_share == pytest.approx(100)
    assert data.heat_counts(scope.failure_modes()) == {(3, 6): 1, (5, 5): 1}


def test_the_all_tiers_row_adds_the_tiers_up(register):
    rollups.recompute_team(register.team.pk)
    total = data.all_tiers(data.tier_rows(Scope(team_id=register.team.pk)))
    assert (total.failure_mode_count, total.open_count, total.rpn_max) == (5, 3, 240)
    assert total.rpn_mean == pytest.approx((476 + 251) / 5)
    assert (total.open_action_count, total.overdue_action_count) == (3, 2)
