"""Each finding rule on hand-computed numbers (plain data, no database)."""

from datetime import UTC, datetime, timedelta

import pytest

from registry.analysis import resilience
from registry.analysis.resilience import (
    ApplicationData,
    ComponentData,
    DependencyGraph,
    Edge,
    StepData,
    StrategyData,
    TierData,
)

TIER_1 = TierData(1, 1, "Tier 1", 7200, 30, 99.999, 100, 90)
TIER_4 = TierData(4, 4, "Tier 4", 172800, 172800, 95.0, 250, 365)
BACKUP = StrategyData("backup_restore", "Backup and restore", 1, 3600, 3600)
PILOT = StrategyData("pilot_light", "Pilot light", 2, 600, 600)
WARM = StrategyData("warm_standby", "Warm standby", 3, 60, 60)
ACTIVE = StrategyData("active_active", "Multi-site active/active", 4, 0, 0)
STRATEGIES = [ACTIVE, BACKUP, WARM, PILOT]


def app(id=1, tier=TIER_1, strategy=BACKUP, regions=(("eu-west-1", "EU"),), residency=""):
    return ApplicationData(id, f"App {id}", tier, strategy, tuple(regions), residency)


def step(id, application, **overrides):
    return StepData(id, f"Step {id}", application, **overrides)


def test_dr_gap_names_the_cheapest_strategy_that_meets_both_objectives():
    """Tier 1 (RTO 2 h, RPO 30 s) on backup & restore: only active/active meets 30 s."""
    [finding] = resilience.dr_strategy_gaps([app()], {}, STRATEGIES)
    assert finding.kind == "dr_strategy_gap"
    assert finding.severity == "critical"
    assert finding.details["recommended_strategy"] == "active_active"
    assert "Multi-site active/active" in finding.message
    assert "30 s" in finding.message and "1 h" in finding.message


def test_dr_gap_uses_a_steps_stricter_objectives():
    """Tier 4 on backup & restore is fine, until a step asks for a 5-minute RTO."""
    application = app(tier=TIER_4)
    assert resilience.dr_strategy_gaps([application], {}, STRATEGIES) == []
    strict = step(1, application, rto_seconds=300)
    [finding] = resilience.dr_strategy_gaps([application], {1: [strict]}, STRATEGIES)
    assert finding.details["required_rto_seconds"] == 300
    assert finding.details["recommended_strategy"] == "warm_standby"


def test_single_region_five_nines():
    """99.999 % in one region is a finding; in two regions it is not."""
    [finding] = resilience.single_region_high_availability([app()], {})
    assert "eu-west-1" in finding.message
    two = app(regions=(("eu-west-1", "EU"), ("eu-central-1", "EU")))
    assert resilience.single_region_high_availability([two], {}) == []
    assert resilience.single_region_high_availability([app(tier=TIER_4)], {}) == []


def test_an_application_without_regions_is_asked_for_them():
    """No region recorded is not "runs in no region": the finding asks for the regions."""
    [finding] = resilience.single_region_high_availability([app(regions=())], {})
    assert "has no region recorded" in finding.message
    assert "runs in no region" not in finding.message
    assert "Record the regions it runs in" in finding.message


def test_composite_availability_of_the_issue_example():
    """99.99 % × 99.95 % × a 99.9 % database in two regions ≈ 99.94 % < 99.999 %."""
    application = app()
    the_step = step(1, application)
    components = [
        ComponentData(1, "API", 99.99),
        ComponentData(2, "Queue", 99.95),
        ComponentData(3, "Database", 99.9, replicas=2),
    ]
    edges = [Edge(component_id=c.id, hard=True, step_id=1) for c in components]
    graph = DependencyGraph(components, edges)
    expected = 0.9999 * 0.9995 * (1 - 0.001**2)
    assert graph.composite(1) == pytest.approx(expected)
    [finding] = resilience.composite_availability_gaps([the_step], graph)
    assert finding.details["composite_availability"] == pytest.approx(99.9399, abs=1e-4)
    assert [w["name"] for w in finding.details["weakest"]] == ["Queue", "API", "Database"]
    assert "at most 99.9399 %" in finding.message


def test_composite_follows_the_tree_and_ignores_soft_dependencies():
    """A service that needs a database counts both; a soft cache counts nothing."""
    components = [
        ComponentData(1, "Service", 99.9),
        ComponentData(2, "Database", 99.0),
        ComponentData(3, "Cache", 50.0),
    ]
    edges = [
        Edge(component_id=1, hard=True, step_id=1),
        Edge(component_id=3, hard=False, step_id=1),
        Edge(component_id=2, hard=True, dependant_id=1),
    ]
    graph = DependencyGraph(components, edges)
    assert graph.composite(1) == pytest.approx(0.999 * 0.99)


def test_a_dependency_cycle_is_a_finding_not_a_hang():
    """A → B → A: the walk ends, and the cycle is reported once."""
    components = [ComponentData(1, "A", 99.9), ComponentData(2, "B", 99.9)]
    edges = [
        Edge(component_id=1, hard=True, step_id=1),
        Edge(component_id=2, hard=True, dependant_id=1),
        Edge(component_id=1, hard=True, dependant_id=2),
    ]
    graph = DependencyGraph(components, edges)
    assert graph.composite(1) == pytest.approx(0.999 * 0.999)
    [finding] = resilience.dependency_cycles(graph)
    assert finding.kind == "dependency_cycle"
    assert "A → B → A" in finding.message or "B → A → B" in finding.message


def test_tier_inversion_hard_and_soft():
    """A tier-1 step that needs a tier-4 application; softly needed is low severity."""
    components = [ComponentData(1, "Analytics", 95, application_id=9)]
    hard_graph = DependencyGraph(components, [Edge(component_id=1, hard=True, step_id=1)])
    soft_graph = DependencyGraph(components, [Edge(component_id=1, hard=False, step_id=1)])
    tiers = {9: ("Clickstream analytics", 4)}
    the_step = step(1, app())
    [hard] = resilience.tier_inversions([the_step], hard_graph, tiers)
    [soft] = resilience.tier_inversions([the_step], soft_graph, tiers)
    assert (hard.severity, soft.severity) == ("critical", "low")
    assert "tier 4" in hard.message
    assert resilience.tier_inversions([step(2, app(tier=TIER_4))], hard_graph, tiers) == []


def test_data_residency_conflict():
    """EU-only data in a US region is a conflict; all-EU regions are not."""
    conflicted = app(regions=(("eu-west-1", "EU"), ("us-east-1", "US")), residency="EU")
    [finding] = resilience.data_residency_conflicts([conflicted])
    assert finding.details["regions_outside"] == ["us-east-1"]
    assert resilience.data_residency_conflicts([app(residency="EU")]) == []


def test_tier_1_rto_spends_its_downtime_budget_23_times_over():
    """99.999 % allows ~5.3 min a year; a 2-hour RTO is ~23 times that."""
    [finding] = resilience.tier_objectives_inconsistent([TIER_1])
    assert finding.details["yearly_downtime_budget_seconds"] == pytest.approx(315.4, abs=0.1)
    assert finding.details["ratio"] == pytest.approx(22.8, abs=0.1)
    excluded = TierData(1, 1, "Tier 1", 7200, 30, 99.999, 100, 90, disasters_excluded=True)
    assert resilience.tier_objectives_inconsistent([excluded, TIER_4]) == []


def test_shared_fate_counts_tier_1_steps_down_the_tree():
    """DNS under the front end of three tier-1 steps is shared fate; two steps are not."""
    components = [ComponentData(1, "Front end", 99.9), ComponentData(2, "DNS", 99.99)]
    edges = [Edge(component_id=1, hard=True, step_id=n) for n in (1, 2, 3)]
    edges.append(Edge(component_id=2, hard=True, dependant_id=1))
    graph = DependencyGraph(components, edges)
    steps = [step(n, app()) for n in (1, 2, 3)]
    findings = resilience.shared_fate(steps, graph)
    assert {f.component_id: f.details["tier1_step_count"] for f in findings} == {1: 3, 2: 3}
    assert resilience.shared_fate(steps[:2], graph) == []


def test_review_overdue_after_the_tiers_interval():
    """Tier 1 reviews every 90 days: reviewed 91 days ago is overdue, 30 days is not."""
    now = datetime(2026, 11, 27, tzinfo=UTC)
    old = step(1, app(), last_reviewed_at=now - timedelta(days=91))
    fresh = step(2, app(), last_reviewed_at=now - timedelta(days=30))
    never = step(3, app(), created_at=now - timedelta(days=200))
    findings = resilience.reviews_overdue([old, fresh, never], now)
    assert [f.step_id for f in findings] == [1, 3]
    assert "never reviewed" in findings[1].message


def test_durations_read_as_people_say_them():
    assert [resilience.format_duration(s) for s in (30, 600, 7200, 5400, 172800)] == [
        "30 s",
        "10 min",
        "2 h",
        "1.5 h",
        "2 d",
    ]
