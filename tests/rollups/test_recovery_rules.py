"""Achievable recovery and the recovery findings on hand-computed numbers (plain data,
no database)."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from registry.analysis import resilience
from registry.analysis.resilience import (
    ComponentData,
    DependencyGraph,
    DrillData,
    Drills,
    Edge,
    RecoveryDefaults,
)
from registry.analysis.resilience.recovery import RecoveryCache
from tests.rollups.test_resilience import (
    ACTIVE,
    FRANKFURT,
    IRELAND,
    TIER_1,
    TIER_4,
    WARM,
    app,
    step,
)

TODAY = date(2026, 6, 1)
DEFAULTS = RecoveryDefaults(detection_seconds=300, recovery_seconds=3600)
TIER_1_DRILLS = replace(TIER_1, recovery_test_interval_days=90)

FRONT_END = ComponentData(1, "Front end", 99.9, regions=(IRELAND, FRANKFURT), recovery_time=60)
ORDERS_DB = ComponentData(
    2,
    "Orders DB",
    99.9,
    regions=(IRELAND,),
    data_store=True,
    recovery_time=600,
    replication="async",
    replication_lag=2,
    replica_regions=("eu-central-1",),
    point_in_time_recovery=True,
)
# The nightly-backup variant: one region, no replica, backups copied nowhere.
NIGHTLY_DB = replace(
    ORDERS_DB,
    replication="none",
    replication_lag=None,
    replica_regions=(),
    point_in_time_recovery=False,
    backup_interval=86400,
)


def shop(orders=ORDERS_DB, front_end=FRONT_END, tier=TIER_1, strategy=ACTIVE, detection=300):
    """Step 10 of an application in Ireland and Frankfurt: step → front end → orders DB,
    both hard."""
    application = replace(
        app(tier=tier, strategy=strategy, regions=(IRELAND, FRANKFURT)),
        detection_time=detection,
    )
    checkout = step(10, application)
    graph = DependencyGraph(
        [front_end, orders],
        [Edge(1, True, step_id=10), Edge(2, True, dependant_id=1)],
        [application],
    )
    return checkout, graph


def figures(checkout, graph):
    found = resilience.achievable_recovery(checkout, graph, DEFAULTS)
    return {d: (a.rto, a.rpo) for d, a in found.items()}


def test_the_worked_example_for_each_disruption():
    """Detection 300 s; front end 60 s; orders DB 600 s, async lag 2 s, PITR.
    Component: 300 + max(60, 600) = 900 s, lag 2 s. Region (active/active, the DB's
    replica in Frankfurt): 300 + 0 = 300 s, lag 2 s. Corruption: 300 + 600 = 900 s,
    PITR 1 s."""
    assert figures(*shop()) == {
        "component": (900, 2),
        "region": (300, 2),
        "data_corruption": (900, 1),
    }


def test_each_figure_names_its_bottleneck():
    """The DB's recovery time bounds the component RTO, its lag both RPOs of
    failover, PITR the corruption RPO, and detection the active/active region RTO."""
    found = resilience.achievable_recovery(*shop(), DEFAULTS)
    component = found["component"]
    assert (component.rto_bound.name, component.rto_bound.prop) == (
        "Orders DB",
        "recovery_time_seconds",
    )
    assert component.rpo_bound.prop == "replication_lag_seconds"
    assert found["region"].rto_bound.prop == "detection_time_seconds"
    assert found["region"].rpo_bound.prop == "replication_lag_seconds"
    assert found["data_corruption"].rpo_bound.prop == "point_in_time_recovery"
    assert component.assumed == ()  # every input entered


def test_the_worked_example_meets_tier_1_and_raises_nothing():
    """900 s ≤ 2 h and 2 s ≤ 30 s: no gap, no unrecoverable data."""
    checkout, graph = shop()
    assert resilience.recovery_gaps([checkout], graph, Drills([]), DEFAULTS, TODAY) == []


def test_nightly_backups_copied_nowhere_are_lost_with_the_region():
    """Losing Ireland leaves the orders DB no copy: unrecoverable_data, critical. Its
    component RPO is the backup interval, 1 d, beyond Tier 1's 30 s."""
    checkout, graph = shop(orders=NIGHTLY_DB)
    found = resilience.achievable_recovery(checkout, graph, DEFAULTS)
    assert found["region"].rpo is None
    assert [c.name for c in found["region"].unrecoverable] == ["Orders DB"]
    assert (found["component"].rpo, found["data_corruption"].rpo) == (86400, 86400)
    findings = resilience.recovery_gaps([checkout], graph, Drills([]), DEFAULTS, TODAY)
    kinds = sorted((f.kind, f.details.get("disruption")) for f in findings)
    assert kinds == [
        ("recovery_point_gap", "component"),
        ("recovery_point_gap", "data_corruption"),
        ("unrecoverable_data", None),
    ]
    [lost] = [f for f in findings if f.kind == "unrecoverable_data"]
    assert lost.severity == "critical"
    assert lost.details["disruptions"] == ["region"]
    assert lost.component_id == 2
    assert "Orders DB" in lost.message and "another region" in lost.message
    [corruption] = [f for f in findings if f.details.get("disruption") == "data_corruption"]
    assert "1 d" in corruption.message and "30 s" in corruption.message
    assert "point-in-time recovery" in corruption.message


def test_a_backup_copy_in_another_region_restores_it_there():
    """Backups copied to Frankfurt, warm standby: losing Ireland costs the interval
    (1 d) of data, and 300 + max(failover 60 s, the DB's 600 s rebuild) = 900 s."""
    copied = replace(NIGHTLY_DB, backup_copy_regions=("eu-central-1",))
    checkout, graph = shop(orders=copied, strategy=WARM)
    region = resilience.achievable_recovery(checkout, graph, DEFAULTS)["region"]
    # Warm standby without a failover time: its best RTO, 60 s, assumed; the rebuild
    # (600 s) is longer and runs beside it.
    assert (region.rto, region.rpo) == (900, 86400)
    assert region.rto_bound.name == "Orders DB"
    assert any("failover time" in note for note in region.assumed)


def test_a_failover_longer_than_the_rebuild_bounds_the_region_rto():
    """Warm standby with a recorded failover of 1200 s against a 600 s rebuild:
    300 + 1200 = 1500 s, bounded by the failover."""
    copied = replace(NIGHTLY_DB, backup_copy_regions=("eu-central-1",))
    checkout, graph = shop(orders=copied, strategy=WARM)
    application = replace(checkout.application, failover_time=1200)
    checkout = replace(checkout, application=application)
    region = resilience.achievable_recovery(checkout, graph, DEFAULTS)["region"]
    assert region.rto == 1500
    assert region.rto_bound.prop == "failover_time_seconds"
    assert not any("failover" in note for note in region.assumed)


def test_defaults_are_used_and_marked_assumed():
    """No detection time and no recovery time for the front end: 300 s (default)
    + max(3600 assumed, 600) = 3900 s, and both inputs are listed as assumed."""
    checkout, graph = shop(front_end=replace(FRONT_END, recovery_time=None), detection=None)
    component = resilience.achievable_recovery(checkout, graph, DEFAULTS)["component"]
    assert component.rto == 3900
    assert component.rto_bound.assumed
    assert component.assumed == (
        "detection time of App 1 (5 min, default)",
        "recovery time of Front end (1 h, default)",
    )


def test_a_shared_dependency_counts_once_and_a_cycle_ends():
    """Two paths to the DB and a loop DB → cache → DB: the tree is front end, DB,
    cache; the cache's 4000 s recovery is the slowest: 300 + 4000 = 4300 s."""
    cache = ComponentData(3, "Cache", 99.9, regions=(IRELAND,), recovery_time=4000)
    application = replace(app(strategy=ACTIVE, regions=(IRELAND, FRANKFURT)), detection_time=300)
    checkout = step(10, application)
    graph = DependencyGraph(
        [FRONT_END, ORDERS_DB, cache],
        [
            Edge(1, True, step_id=10),
            Edge(2, True, step_id=10),
            Edge(2, True, dependant_id=1),
            Edge(3, True, dependant_id=2),
            Edge(2, True, dependant_id=3),
        ],
        [application],
    )
    component = resilience.achievable_recovery(checkout, graph, DEFAULTS)["component"]
    assert (component.rto, component.rpo) == (4300, 2)
    assert component.rto_bound.name == "Cache"


def test_ties_name_the_first_component_alphabetically():
    """Two components of 600 s: the bottleneck is the first by name."""
    twin = replace(FRONT_END, id=3, name="Auth", recovery_time=600)
    application = replace(app(strategy=ACTIVE, regions=(IRELAND, FRANKFURT)), detection_time=300)
    checkout = step(10, application)
    graph = DependencyGraph(
        [twin, ORDERS_DB],
        [Edge(3, True, step_id=10), Edge(2, True, step_id=10)],
        [application],
    )
    component = resilience.achievable_recovery(checkout, graph, DEFAULTS)["component"]
    assert (component.rto, component.rto_bound.name) == (900, "Auth")


def test_soft_dependencies_and_an_empty_tree_cost_nothing():
    """A soft edge to the nightly DB adds nothing: the tree is empty, RTO = detection,
    RPO 0; and a step without edges raises no finding."""
    application = replace(app(strategy=ACTIVE, regions=(IRELAND, FRANKFURT)), detection_time=300)
    checkout = step(10, application)
    graph = DependencyGraph([NIGHTLY_DB], [Edge(2, False, step_id=10)], [application])
    found = resilience.achievable_recovery(checkout, graph, DEFAULTS)
    assert {d: (a.rto, a.rpo) for d, a in found.items()} == {
        "component": (300, 0),
        "region": (300, 0),
        "data_corruption": (300, 0),
    }
    empty = DependencyGraph([], [], [application])
    assert resilience.recovery_gaps([checkout], empty, Drills([]), DEFAULTS, TODAY) == []


def test_a_recovery_time_gap_names_the_figure_that_would_close_it():
    """A step with a 10-minute RTO: component 900 s is 300 s over; the DB's 600 s would
    have to come down to 300 s (10 min − 5 min detection)."""
    checkout, graph = shop()
    strict = replace(checkout, rto=600)
    findings = resilience.recovery_gaps([strict], graph, Drills([]), DEFAULTS, TODAY)
    gaps = {f.details["disruption"]: f for f in findings if f.kind == "recovery_time_gap"}
    assert sorted(gaps) == ["component", "data_corruption"]
    message = gaps["component"].message
    assert "15 min" in message and "10 min" in message
    assert "Orders DB's recovery time (10 min) down to 5 min" in message


def drill(id, disruption, days_ago, outcome="passed", rto=600, rpo=0, step_id=None):
    return DrillData(
        id, 1, step_id, disruption, TODAY - timedelta(days=days_ago), outcome, rto, rpo
    )


def test_tier_1_without_a_region_drill_in_90_days_is_untested():
    """Corruption drill passed 10 days ago; the region drill 100 days ago: only the
    region is missing. Tier 4 (no interval) needs none."""
    application = app(tier=TIER_1_DRILLS)
    drills = Drills([drill(1, "data_corruption", 10), drill(2, "region", 100)])
    [finding] = resilience.recovery_untested([application], drills, TODAY)
    assert finding.kind == "recovery_untested"
    assert finding.details["missing"] == ["region"]
    assert finding.details["since"] == "2026-03-03"
    assert "90 days" in finding.message
    recent = Drills([drill(1, "data_corruption", 10), drill(2, "region", 89)])
    assert resilience.recovery_untested([application], recent, TODAY) == []
    assert resilience.recovery_untested([app(tier=TIER_4)], Drills([]), TODAY) == []


def test_a_failed_drill_is_not_evidence():
    """A region drill that failed 5 days ago leaves the region untested."""
    application = app(tier=TIER_1_DRILLS)
    drills = Drills([drill(1, "data_corruption", 10), drill(2, "region", 5, outcome="failed")])
    [finding] = resilience.recovery_untested([application], drills, TODAY)
    assert finding.details["missing"] == ["region"]


def test_a_drill_measuring_3_hours_against_2_fails_with_both_numbers():
    """The latest region drill passed but measured RTO 3 h against Tier 1's 2 h."""
    application = app(tier=TIER_1_DRILLS)
    checkout = step(10, application)
    drills = Drills([drill(1, "region", 40, rto=5400), drill(2, "region", 3, rto=10800)])
    [finding] = resilience.recovery_tests_failed([application], {1: [checkout]}, drills)
    assert finding.kind == "recovery_test_failed"
    assert "measured RTO 3 h against an objective of 2 h" in finding.message
    assert finding.details["measured_rto_seconds"] == 10800
    assert finding.details["rto_objective_seconds"] == 7200
    assert finding.details["recovery_test"] == 2


def test_the_latest_drill_decides_and_a_failed_outcome_fails():
    """A failed corruption drill followed by a pass within objectives: nothing. A
    partial outcome is a finding even with good figures."""
    application = app(tier=TIER_1_DRILLS)
    checkout = step(10, application)
    fixed = Drills(
        [drill(1, "data_corruption", 20, outcome="failed"), drill(2, "data_corruption", 2)]
    )
    assert resilience.recovery_tests_failed([application], {1: [checkout]}, fixed) == []
    partial = Drills([drill(3, "component", 1, outcome="partial")])
    [finding] = resilience.recovery_tests_failed([application], {1: [checkout]}, partial)
    assert "partial" in finding.message


def test_a_passed_drill_within_the_interval_replaces_the_computed_figure():
    """The computed region RTO is 300 s; a passed region drill 10 days ago measured
    3 h: the gap finding uses the measured 3 h and says it was measured."""
    checkout, graph = shop(tier=TIER_1_DRILLS)
    drills = Drills([drill(1, "region", 10, rto=10800, step_id=10)])
    [gap] = resilience.recovery_gaps([checkout], graph, drills, DEFAULTS, TODAY)
    assert gap.kind == "recovery_time_gap"
    assert gap.details["rto_used_seconds"] == 10800
    assert gap.details["rto_source"] == "measured"
    assert "recovered in 3 h in the drill of 2026-05-22" in gap.message
    rows = resilience.step_recovery(checkout, graph, drills, DEFAULTS, TODAY)
    region = next(row for row in rows if row.disruption == "region")
    assert (region.achievable.rto, region.rto, region.rto_meets) == (300, 10800, False)
    # Outside Tier 1's 90 days the drill is history, not evidence.
    old = Drills([drill(1, "region", 91, rto=10800, step_id=10)])
    assert resilience.recovery_gaps([checkout], graph, old, DEFAULTS, TODAY) == []


def test_one_unrecoverable_finding_per_application_and_store_names_its_steps():
    """Checkout and Refund both need the nightly DB: one finding, naming both steps,
    about the application (no single step)."""
    checkout, graph = shop(orders=NIGHTLY_DB)
    refund = replace(checkout, id=11, name="Refund")
    graph = DependencyGraph(
        [FRONT_END, NIGHTLY_DB],
        [Edge(1, True, step_id=10), Edge(2, True, step_id=11), Edge(2, True, dependant_id=1)],
        [checkout.application],
    )
    findings = resilience.recovery_gaps([checkout, refund], graph, Drills([]), DEFAULTS, TODAY)
    [lost] = [f for f in findings if f.kind == "unrecoverable_data"]
    assert lost.details["steps"] == [10, 11]
    assert lost.step_id is None and lost.application_id == 1
    assert "App 1 (steps Step 10, Refund) hard-depends on Orders DB" in lost.message


# --- Shapes a step's tree can take: each step's figures are joined from its direct
# dependencies' subtrees, worked out once per computation and shared between steps.


def test_a_component_without_regions_runs_in_each_applications_own():
    """The session cache records no region, so it runs in its step's application's.
    App 1 (Ireland only, warm standby, failover 120 s): losing Ireland loses the cache,
    rebuilt in 600 s: 300 + max(120, 600) = 900 s. App 2 (Ireland and Frankfurt,
    active/active): the cache serves on from the other region: 300 + 0 = 300 s. The
    same in either order, with one cache shared by both steps."""
    session = ComponentData(5, "Session cache", 99.9, recovery_time=600)
    first = replace(app(1, strategy=WARM), detection_time=300, failover_time=120)
    second = replace(app(2, strategy=ACTIVE, regions=(IRELAND, FRANKFURT)), detection_time=300)
    steps = [step(10, first), step(20, second)]
    graph = DependencyGraph(
        [session], [Edge(5, True, step_id=10), Edge(5, True, step_id=20)], [first, second]
    )
    for order in (steps, steps[::-1]):
        cache = RecoveryCache(DEFAULTS, graph)
        found = {s.id: resilience.achievable_recovery(s, graph, DEFAULTS, cache) for s in order}
        region = {step_id: found[step_id]["region"] for step_id in found}
        assert {k: (r.rto, r.rto_bound.name, r.rpo) for k, r in region.items()} == {
            10: (900, "Session cache", 0),
            20: (300, "App 2", 0),
        }
        assert (
            region[10].assumed
            == region[20].assumed
            == ("regions of Session cache (the application's)",)
        )
        assert found[10]["component"].rto == found[20]["component"].rto == 900


def test_a_cycle_gives_the_same_tree_whichever_member_a_step_needs():
    """Ledger DB ⇄ worker, hard both ways; step 10 needs the DB, step 11 the worker:
    both trees are the DB and the worker. Component: 300 + worker 4000 = 4300 s, the
    DB's nightly backup 1 d. Region (Ireland): the backups are copied nowhere, so the
    DB's data is lost; 300 + max(failover 3600 assumed, worker 4000) = 4300 s.
    Corruption: the DB alone, 300 + 600 = 900 s, 1 d."""
    ledger = replace(NIGHTLY_DB, id=6, name="Ledger DB")
    worker = ComponentData(7, "Worker", 99.9, regions=(IRELAND,), recovery_time=4000)
    application = replace(app(), detection_time=300)
    payment, settlement = step(10, application), step(11, application)
    edges = [Edge(6, True, step_id=10), Edge(7, True, step_id=11)]
    loop = [Edge(7, True, dependant_id=6), Edge(6, True, dependant_id=7)]
    graph = DependencyGraph([ledger, worker], edges + loop, [application])
    cache = RecoveryCache(DEFAULTS, graph)
    for checked in (payment, settlement):
        found = resilience.achievable_recovery(checked, graph, DEFAULTS, cache)
        assert {d: (a.rto, a.rpo) for d, a in found.items()} == {
            "component": (4300, 86400),
            "region": (4300, None),
            "data_corruption": (900, 86400),
        }
        assert found["component"].rto_bound.name == "Worker"
        assert [c.name for c in found["region"].unrecoverable] == ["Ledger DB"]


def test_only_all_hard_paths_count_and_a_shared_subtree_does_not_leak():
    """Step 10: hard → front end → orders DB, soft → reports → archive (no copy at all),
    and front end → archive soft: its tree is the front end and the orders DB, 300 +
    600 = 900 s, lag 2 s, nothing unrecoverable. Step 11 needs the reports hard: its
    tree is the reports (7200 s) and the archive: 300 + 7200 = 7500 s, and the archive
    is lost."""
    reports = ComponentData(8, "Reports", 99.9, regions=(IRELAND,), recovery_time=7200)
    archive = ComponentData(
        9, "Archive DB", 99.9, regions=(IRELAND,), data_store=True, recovery_time=600
    )
    application = replace(app(strategy=ACTIVE, regions=(IRELAND, FRANKFURT)), detection_time=300)
    checkout, statements = step(10, application), step(11, application)
    of_steps = [Edge(1, True, step_id=10), Edge(8, False, step_id=10), Edge(8, True, step_id=11)]
    front_end = [Edge(2, True, dependant_id=1), Edge(9, False, dependant_id=1)]
    edges = [*of_steps, *front_end, Edge(9, True, dependant_id=8)]
    graph = DependencyGraph([FRONT_END, ORDERS_DB, reports, archive], edges, [application])
    cache = RecoveryCache(DEFAULTS, graph)
    first = resilience.achievable_recovery(checkout, graph, DEFAULTS, cache)["component"]
    second = resilience.achievable_recovery(statements, graph, DEFAULTS, cache)["component"]
    assert (first.rto, first.rpo, first.unrecoverable) == (900, 2, ())
    assert (second.rto, second.rpo) == (7500, None)
    assert [c.name for c in second.unrecoverable] == ["Archive DB"]


def test_an_empty_tree_without_any_region_cannot_assess_a_region_loss():
    """No region for the application and only a soft edge: component and corruption
    are detection alone (300 s, nothing lost); a region loss cannot be assessed."""
    application = replace(app(regions=()), detection_time=300)
    checkout = step(10, application)
    graph = DependencyGraph([NIGHTLY_DB], [Edge(2, False, step_id=10)], [application])
    found = resilience.achievable_recovery(checkout, graph, DEFAULTS)
    assert {d: (a.rto, a.rpo) for d, a in found.items()} == {
        "component": (300, 0),
        "region": (300, None),
        "data_corruption": (300, 0),
    }
    assert "No region is recorded" in found["region"].note


def test_ties_and_assumed_inputs_across_subtrees_go_by_name():
    """Step → Zebra (no recovery time) → Beta (900 s), and step → Alpha (no recovery
    time): Zebra and Alpha are both assumed 1 h, Alpha first by name although Zebra's
    edge comes first: 300 + 3600 = 3900 s, bound by Alpha, and the assumed inputs in
    the order of the names."""
    zebra = ComponentData(11, "Zebra", 99.9, regions=(IRELAND,))
    beta = ComponentData(12, "Beta", 99.9, regions=(IRELAND,), recovery_time=900)
    alpha = ComponentData(13, "Alpha", 99.9, regions=(IRELAND,))
    application = replace(app(), detection_time=300)
    checkout = step(10, application)
    graph = DependencyGraph(
        [zebra, beta, alpha],
        [Edge(11, True, step_id=10), Edge(13, True, step_id=10), Edge(12, True, dependant_id=11)],
        [application],
    )
    component = resilience.achievable_recovery(checkout, graph, DEFAULTS)["component"]
    assert (component.rto, component.rto_bound.name, component.rto_bound.assumed) == (
        3900,
        "Alpha",
        True,
    )
    assert component.assumed == (
        "recovery time of Alpha (1 h, default)",
        "recovery time of Zebra (1 h, default)",
    )


def test_a_cache_serves_one_graph():
    """A cache made for one graph is refused for another."""
    checkout, graph = shop()
    other = DependencyGraph([], [], [checkout.application])
    cache = RecoveryCache(DEFAULTS, graph)
    with pytest.raises(ValueError):
        resilience.achievable_recovery(checkout, other, DEFAULTS, cache)
