"""Each finding rule on hand-computed numbers (plain data, no database)."""

import itertools
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
from registry.jurisdictions import within

TIER_1 = TierData(1, 1, "Tier 1", 7200, 30, 99.999, 100, 90)
TIER_2 = TierData(2, 2, "Tier 2", 28800, 14400, 99.9, 200, 180)
TIER_4 = TierData(4, 4, "Tier 4", 172800, 172800, 95.0, 250, 365)
BACKUP = StrategyData("backup_restore", "Backup and restore", 1, 3600, 3600)
PILOT = StrategyData("pilot_light", "Pilot light", 2, 600, 600, multi_region=True)
WARM = StrategyData("warm_standby", "Warm standby", 3, 60, 60, multi_region=True)
ACTIVE = StrategyData(
    "active_active",
    "Multi-site active/active",
    4,
    0,
    0,
    multi_region=True,
    serves_all_regions=True,
)
STRATEGIES = [ACTIVE, BACKUP, WARM, PILOT]
IRELAND = ("eu-west-1", "IE")
FRANKFURT = ("eu-central-1", "DE")
VIRGINIA = ("us-east-1", "US")


def app(id=1, tier=TIER_1, strategy=BACKUP, regions=(IRELAND,), residency=""):
    return ApplicationData(id, f"App {id}", tier, strategy, tuple(regions), residency)


def step(id, application, rto=None, rpo=None, target=None, **rest):
    """A step whose effective objectives are its tier's unless given (as the queryset's
    Coalesce gives them)."""
    tier = application.tier
    return StepData(
        id,
        f"Step {id}",
        application,
        rto=tier.rto_seconds if rto is None else rto,
        rpo=tier.rpo_seconds if rpo is None else rpo,
        target=tier.availability if target is None else target,
        own_availability=target is not None,
        **rest,
    )


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
    strict = step(1, application, rto=300)
    [finding] = resilience.dr_strategy_gaps([application], {1: [strict]}, STRATEGIES)
    assert finding.details["required_rto_seconds"] == 300
    assert finding.details["recommended_strategy"] == "warm_standby"


def test_single_region_five_nines():
    """99.999 % in one region is a finding; active/active in two regions is not."""
    [finding] = resilience.single_region_high_availability([app()], {})
    assert "eu-west-1" in finding.message
    assert "necessary, not sufficient" in finding.message
    two = app(strategy=ACTIVE, regions=(IRELAND, FRANKFURT))
    assert resilience.single_region_high_availability([two], {}) == []
    assert resilience.single_region_high_availability([app(tier=TIER_4)], {}) == []


def test_an_application_without_regions_is_asked_for_them():
    """No region recorded is not "runs in no region": the finding asks for the regions."""
    [finding] = resilience.single_region_high_availability([app(regions=())], {})
    assert "has no region recorded" in finding.message
    assert "runs in no region" not in finding.message
    assert "Record the regions it runs in" in finding.message


def test_five_nines_under_backup_and_restore_in_two_regions_is_one_finding():
    """The second region serves nothing until a restore finishes hours later."""
    application = app(strategy=BACKUP, regions=(IRELAND, FRANKFURT))
    findings = resilience.single_region_high_availability([application], {})
    assert [f.kind for f in findings] == ["single_region_high_availability"]
    assert findings[0].details["active_region_count"] == 1
    assert "only one region serves at a time" in findings[0].message


def test_active_active_in_one_region_is_one_dr_strategy_single_region():
    """A Tier 2 application on active/active that runs only in eu-west-1."""
    application = app(tier=TIER_2, strategy=ACTIVE)
    findings = resilience.dr_strategy_single_region([application])
    assert [(f.kind, f.severity) for f in findings] == [("dr_strategy_single_region", "high")]
    assert "only in eu-west-1" in findings[0].message
    assert "Add the recovery region" in findings[0].message
    assert resilience.dr_strategy_single_region([app(strategy=BACKUP)]) == []
    warm = app(strategy=WARM, regions=(IRELAND, FRANKFURT))
    assert resilience.dr_strategy_single_region([warm]) == []


def test_composite_availability_of_three_services():
    """99.99 % × 99.95 % × 99.9 % (one region each) ≈ 99.84 % < 99.999 %; the weakest
    come first."""
    the_step = step(1, app())
    components = [
        ComponentData(1, "API", 99.99),
        ComponentData(2, "Queue", 99.95),
        ComponentData(3, "Database", 99.9, (IRELAND, FRANKFURT)),
    ]
    edges = [Edge(component_id=c.id, hard=True, step_id=1) for c in components]
    graph = DependencyGraph(components, edges)
    expected = 0.9999 * 0.9995 * 0.999
    assert graph.composite(the_step).availability == pytest.approx(expected)
    [finding] = resilience.composite_availability_gaps([the_step], graph)
    assert finding.details["composite_availability"] == pytest.approx(99.8401, abs=1e-4)
    assert [w["name"] for w in finding.details["weakest"]] == ["Database", "Queue", "API"]
    assert "at most 99.8401 %" in finding.message


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
    assert graph.composite(step(1, app())).availability == pytest.approx(0.999 * 0.99)


def diamond_graph():
    """A step hard-depends on A and B; both hard-depend on C. All at 99.9 %, one region."""
    components = [
        ComponentData(n, name, 99.9, (IRELAND,)) for n, name in ((1, "A"), (2, "B"), (3, "C"))
    ]
    edges = [
        Edge(component_id=1, hard=True, step_id=1),
        Edge(component_id=2, hard=True, step_id=1),
        Edge(component_id=3, hard=True, dependant_id=1),
        Edge(component_id=3, hard=True, dependant_id=2),
    ]
    return DependencyGraph(components, edges)


def test_the_diamond_counts_the_shared_database_once():
    """0.999³ = 99.7003 %, not 0.999⁴ = 99.6006 %: C is one database behind two services,
    so a 99.7 % target is met."""
    graph = diamond_graph()
    composite = graph.composite(step(1, app(tier=TIER_2)))
    assert composite.availability == pytest.approx(0.999**3)
    assert round(composite.availability * 100, 4) == 99.7003
    assert [figure.component.name for figure in composite.figures] == ["A", "B", "C"]
    at_997 = step(1, app(tier=TIER_2), target=99.7)
    assert resilience.composite_availability_gaps([at_997], graph) == []
    at_998 = step(1, app(tier=TIER_2), target=99.8)
    [finding] = resilience.composite_availability_gaps([at_998], graph)
    assert finding.details["composite_availability"] == pytest.approx(99.7003, abs=1e-4)
    assert "from its 3 distinct hard dependencies" in finding.message


def test_a_cycle_gives_the_same_figures_in_every_edge_order():
    """Step → A → B → C → A (all hard; A 99.9 %, B 99.5 %, C 99 %): the product over the
    three distinct components, 0.999 × 0.995 × 0.99 = 98.4065 %, and one cycle named
    from its lowest id, whatever order the edges come in."""
    components = [
        ComponentData(1, "A", 99.9),
        ComponentData(2, "B", 99.5),
        ComponentData(3, "C", 99.0),
    ]
    edges = [
        Edge(component_id=1, hard=True, step_id=1),
        Edge(component_id=2, hard=True, dependant_id=1),
        Edge(component_id=3, hard=True, dependant_id=2),
        Edge(component_id=1, hard=True, dependant_id=3),
    ]
    the_step = step(1, app(tier=TIER_2))
    seen = set()
    for order in itertools.permutations(edges):
        graph = DependencyGraph(components, order)
        [cycle] = resilience.dependency_cycles(graph)
        seen.add((round(graph.composite(the_step).availability, 12), cycle.message, cycle.key))
    assert len(seen) == 1
    [(availability, message, key)] = seen
    assert round(availability * 100, 4) == 98.4065
    assert message.startswith("Dependency cycle: A → B → C → A.")
    assert key == "dependency_cycle:components:1-2-3"
    [counted] = resilience.dependency_cycles(DependencyGraph(components, edges), [the_step])
    assert counted.tier_id == TIER_2.id  # in the rollup of the tier whose step needs it


def two_region_database(strategy):
    components = [ComponentData(1, "Orders DB", 99.9, (IRELAND, FRANKFURT))]
    graph = DependencyGraph(components, [Edge(component_id=1, hard=True, step_id=1)])
    return graph, step(1, app(tier=TIER_1, strategy=strategy, regions=(IRELAND, FRANKFURT)))


def test_two_regions_under_warm_standby_count_as_one():
    """The standby region restores service after a failover: 99.9 % holds."""
    graph, the_step = two_region_database(WARM)
    composite = graph.composite(the_step)
    assert composite.availability == pytest.approx(0.999)
    assert not composite.upper_bound
    [finding] = resilience.composite_availability_gaps([the_step], graph)
    assert finding.details["composite_availability"] == pytest.approx(99.9)
    assert "upper bound" not in finding.message


def test_two_regions_under_active_active_are_parallel_replicas_and_an_upper_bound():
    """1 − 0.001² = 99.9999 %, said to be an upper bound."""
    graph, the_step = two_region_database(ACTIVE)
    composite = graph.composite(the_step)
    assert round(composite.availability * 100, 4) == 99.9999
    assert composite.upper_bound
    tight = step(1, the_step.application, target=99.99999)
    [finding] = resilience.composite_availability_gaps([tight], graph)
    assert finding.details["upper_bound"] is True
    assert "upper bound that assumes independent regions and instant failover" in finding.message
    assert "Orders DB (99.9999 %, 2 active regions, upper bound)" in finding.message


def test_a_linked_application_serves_in_parallel_only_under_its_own_strategy():
    """A component that is one of our applications counts its regions by that
    application's strategy, not the step's."""
    payments = app(id=9, strategy=BACKUP, regions=(IRELAND, FRANKFURT))
    components = [ComponentData(1, "Payments", 99.0, (IRELAND, FRANKFURT), application_id=9)]
    edges = [Edge(component_id=1, hard=True, step_id=1)]
    graph = DependencyGraph(components, edges, [payments])
    the_step = step(1, app(strategy=ACTIVE, regions=(IRELAND, FRANKFURT)))
    assert graph.composite(the_step).availability == pytest.approx(0.99)


def test_assumed_figures_are_named_in_the_message_and_details():
    """Card network API has no figure: the finding says it assumes 99.9 %."""
    components = [
        ComponentData(1, "Payment provider", 99.95),
        ComponentData(2, "Card network API", 99.9, assumed=True),
    ]
    edges = [
        Edge(component_id=1, hard=True, step_id=1),
        Edge(component_id=2, hard=True, dependant_id=1),
    ]
    graph = DependencyGraph(components, edges)
    [finding] = resilience.composite_availability_gaps([step(1, app())], graph)
    assert "Assumes 99.9 % for Card network API: no figure entered." in finding.message
    assert "Card network API (99.9 %, assumed)" in finding.message
    assert finding.details["assumed_components"] == [
        {"component": 2, "name": "Card network API", "availability": 99.9}
    ]
    assert finding.assumed is True


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


def test_data_residency_conflict_of_the_applications_own_regions():
    """EU-only data in a US region is a conflict; Irish and German regions are not."""
    conflicted = app(regions=(IRELAND, VIRGINIA), residency="EU")
    [finding] = resilience.data_residency_conflicts([conflicted])
    assert finding.details["regions_outside"] == ["us-east-1"]
    inside = app(regions=(IRELAND, FRANKFURT), residency="EU")
    assert resilience.data_residency_conflicts([inside]) == []


def test_an_eu_application_with_its_orders_database_in_us_east_1():
    """The application runs in eu-west-1, its orders database in us-east-1: one finding
    naming the database, the region and the jurisdiction."""
    application = app(regions=(IRELAND,), residency="EU")
    components = [
        ComponentData(1, "Orders service", 99.9, (IRELAND,)),
        ComponentData(2, "Orders database", 99.9, (VIRGINIA,)),
    ]
    edges = [
        Edge(component_id=1, hard=True, step_id=1),
        Edge(component_id=2, hard=True, dependant_id=1),
    ]
    graph = DependencyGraph(components, edges)
    the_step = step(1, application)
    findings = resilience.data_residency_conflicts([application], {1: [the_step]}, graph)
    assert [(f.kind, f.step_id, f.component_id) for f in findings] == [
        ("data_residency_conflict", 1, 2)
    ]
    assert "Orders database" in findings[0].message
    assert "us-east-1 (US)" in findings[0].message
    assert "outside EU" in findings[0].message


def test_a_soft_dependency_outside_the_jurisdiction_counts_too():
    """Residency covers everything the step touches, hard or soft."""
    application = app(residency="EEA")
    components = [ComponentData(1, "Analytics", 99.0, (VIRGINIA,))]
    graph = DependencyGraph(components, [Edge(component_id=1, hard=False, step_id=1)])
    steps = {1: [step(1, application)]}
    [finding] = resilience.data_residency_conflicts([application], steps, graph)
    assert finding.component_id == 1


def test_jurisdictions_contain_each_other():
    """IE satisfies EU; EU satisfies EEA; US satisfies neither; Norway is EEA, not EU."""
    assert within("IE", "EU") and within("EU", "EEA") and within("IE", "EEA")
    assert not within("US", "EU") and not within("EEA", "EU")
    assert within("NO", "EEA") and not within("NO", "EU")
    assert within("IE", "IE") and not within("GB", "EU")


def test_tier_1_rto_spends_its_downtime_budget_23_times_over():
    """99.999 % allows ~5.3 min a year; a 2-hour RTO is ~23 times that."""
    [finding] = resilience.tier_objectives_inconsistent([TIER_1])
    assert finding.details["yearly_downtime_budget_seconds"] == pytest.approx(315.4, abs=0.1)
    assert finding.details["ratio"] == pytest.approx(22.8, abs=0.1)
    excluded = TierData(1, 1, "Tier 1", 7200, 30, 99.999, 100, 90, disasters_excluded=True)
    assert resilience.tier_objectives_inconsistent([excluded, TIER_4]) == []


def test_common_dependency_counts_tier_1_steps_down_the_tree():
    """DNS under the front end of three tier-1 steps is a common dependency of tier 1;
    two steps are not."""
    components = [ComponentData(1, "Front end", 99.9), ComponentData(2, "DNS", 99.99)]
    edges = [Edge(component_id=1, hard=True, step_id=n) for n in (1, 2, 3)]
    edges.append(Edge(component_id=2, hard=True, dependant_id=1))
    graph = DependencyGraph(components, edges)
    steps = [step(n, app()) for n in (1, 2, 3)]
    findings = resilience.common_dependencies(steps, graph)
    assert {f.component_id: f.details["tier1_step_count"] for f in findings} == {1: 3, 2: 3}
    assert {(f.kind, f.tier_id) for f in findings} == {("common_dependency", TIER_1.id)}
    assert resilience.common_dependencies(steps[:2], graph) == []


def test_a_step_looser_than_its_tier_without_a_reason_is_a_finding():
    """A nightly batch of a Tier 1 application with a 1-day RTO: low severity until a
    reason is written."""
    application = app()
    batch = step(1, application, rto=86400)
    [finding] = resilience.step_objectives_relaxed([batch])
    assert (finding.kind, finding.severity, finding.step_id) == (
        "step_objective_relaxed",
        "low",
        1,
    )
    assert "RTO 1 d instead of 2 h" in finding.message
    explained = step(1, application, rto=86400, objective_reason="Nightly batch.")
    assert resilience.step_objectives_relaxed([explained]) == []
    assert resilience.step_objectives_relaxed([step(2, application, rto=60)]) == []


def test_a_tier_tightened_past_a_step_leaves_it_looser():
    """A step set 99.99 % when Tier 2 asked 99.9 %; Tier 2 now asks 99.995 %."""
    tightened = TierData(2, 2, "Tier 2", 28800, 14400, 99.995, 200, 180)
    the_step = step(1, app(tier=tightened), target=99.99)
    [finding] = resilience.step_objectives_relaxed([the_step])
    assert "availability 99.99 % instead of 99.995 %" in finding.message


def test_a_relaxed_step_relaxes_what_its_application_must_recover_in():
    """A Tier 1 application whose only step may take a day needs no 30-second RPO."""
    application = app(tier=TIER_1, strategy=BACKUP)
    batch = step(1, application, rto=86400, rpo=86400, target=99.0, objective_reason="Batch.")
    assert resilience.dr_strategy_gaps([application], {1: [batch]}, STRATEGIES) == []
    assert resilience.single_region_high_availability([application], {1: [batch]}) == []


def test_a_steps_own_target_is_held_against_its_own_rto():
    """Tier 4 (RTO 48 h): a step of its own 99.9 % may be down 8.76 h a year; 48 h is
    5.5 times that. At 96 % (14.6 days a year) it is consistent."""
    the_step = step(1, app(tier=TIER_4), target=99.9)
    [finding] = resilience.tier_objectives_inconsistent([], [the_step])
    assert (finding.kind, finding.step_id) == ("tier_objectives_inconsistent", 1)
    assert finding.details["yearly_downtime_budget_seconds"] == pytest.approx(31536.0)
    assert finding.details["ratio"] == pytest.approx(5.5, abs=0.05)
    relaxed = step(2, app(tier=TIER_4), target=96)
    assert resilience.tier_objectives_inconsistent([], [relaxed]) == []
    assert resilience.tier_objectives_inconsistent([], [step(3, app(tier=TIER_4))]) == []


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
