"""The read queries behind the pages: SQL figures and the dependency graph."""

import datetime

import pytest

from registry.analysis import figures
from registry.analysis.graph import dependency_graph
from registry.history import failure_mode_history
from registry.models import Dependency, FailureMode
from tests.factories import ActionFactory, ComponentFactory, DependencyFactory, FailureModeFactory

pytestmark = pytest.mark.django_db


def team_rows(register):
    return FailureMode.objects.for_team(register.app.team_id)


def test_tier_figures_aggregate_one_teams_failure_modes(register):
    FailureModeFactory(
        step=register.step, severity=10, probability=3, detectability=8, status="closed"
    )
    ActionFactory(failure_mode=register.fm, due_date=datetime.date(2000, 1, 1))
    ActionFactory(
        failure_mode=register.fm,
        due_date=datetime.date(2000, 1, 1),
        status="done",
        completed_at=datetime.datetime(2000, 1, 2, tzinfo=datetime.UTC),
    )
    tiers = figures.dashboard_tier_figures(register.app.team_id).tiers
    tier1 = next(f for f in tiers if f.tier.level == 1)
    assert (tier1.failure_mode_count, tier1.open_count, tier1.rpn_max) == (2, 1, 240)
    assert (tier1.over_threshold_count, tier1.ap_high_count, tier1.overdue_action_count) == (
        1,
        1,
        1,
    )
    assert tier1.rpn_mean == pytest.approx(148)
    tier2 = next(f for f in tiers if f.tier.level == 2)
    assert (tier2.failure_mode_count, tier2.rpn_max) == (0, None)


def test_pareto_shares_add_up_to_the_whole(register):
    FailureModeFactory(step=register.step, severity=10, probability=10, detectability=4)
    items = figures.pareto(team_rows(register))
    assert [item.rpn for item in items] == [400, 56]
    assert items[0].cumulative_share == pytest.approx(100 * 400 / 456)
    assert items[-1].cumulative_share == pytest.approx(100)


def test_the_pareto_limit_keeps_the_share_of_the_whole_team(register):
    for _ in range(3):
        FailureModeFactory(step=register.step, severity=1, probability=1, detectability=1)
    items = figures.pareto(team_rows(register), limit=1)
    assert len(items) == 1 and items[0].cumulative_share == pytest.approx(100 * 56 / 59)


def test_pareto_running_shares_are_exact_across_ties_at_the_cut(register):
    """Rows tied with the last one shown, and rows below the cut, count in the total;
    each shown row's share is that of every row ranked up to it (RPN, then id)."""
    ratings = [(8, 5, 5), (4, 5, 5), (4, 5, 5), (4, 5, 5), (2, 2, 2), (1, 1, 1)]  # 200, 100 x3
    for severity, probability, detectability in ratings:
        FailureModeFactory(
            step=register.step,
            severity=severity,
            probability=probability,
            detectability=detectability,
        )
    ranked = sorted(
        FailureModeFactory._meta.model.objects.filter(team_id=register.app.team_id),
        key=lambda row: (-row.rpn, row.pk),
    )
    total = sum(row.rpn for row in ranked)
    items = figures.pareto(team_rows(register), limit=3)
    assert [item.id for item in items] == [row.pk for row in ranked[:3]]
    running = 0
    for item, row in zip(items, ranked, strict=False):
        running += row.rpn
        assert item.cumulative_share == pytest.approx(100 * running / total)


def test_the_dependency_graph_builds_trees_and_survives_cycles(register):
    team = register.app.team
    cache = ComponentFactory(team=team, name="Cache")
    # Every interface refuses a loop; a register written before that rule may hold one.
    Dependency.objects.bulk_create(
        [
            Dependency(dependant_component=register.component, component=cache),
            Dependency(dependant_component=cache, component=register.component),
        ]
    )
    graph = dependency_graph(team.pk)
    (top,) = graph.tree_of_step(register.step.pk)
    assert top.name == "Orders table" and top.children[0].name == "Cache"
    assert top.children[0].children[0].cycle is True


def test_steps_depending_on_a_component_follow_component_chains(register):
    team = register.app.team
    service = ComponentFactory(team=team, name="Service")
    DependencyFactory(
        step=None, dependant_component=register.component, component=service, hard=False
    )
    usages = dependency_graph(team.pk).steps_depending_on(service.pk)
    usage = usages[register.step.pk]
    assert usage.hard is False and usage.via == ("Orders table",)


def test_history_computes_the_rpn_of_each_version(register, alice):
    fm = register.fm
    fm.severity = 10
    fm._history_user = alice
    fm.save()
    history = failure_mode_history(fm)
    assert [point[1] for point in history.rpn_points] == [56, 80]
    newest = history.entries[0]
    assert newest.who == "alice" and newest.changes == (("Severity", "7", "10"),)
    assert history.entries[-1].kind == "created"
