"""The recovery findings through the recompute: stored, counted in the rollups, kept
current by recovery tests; and the database's own checks on the recovery inputs."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from registry.analysis.findings import refresh_findings
from registry.analysis.recompute import team_of
from registry.analysis.rollups import refresh_rollups
from registry.choices import ComponentKind, Disruption, Replication
from registry.models import Component, Finding, TierRollup
from tests.factories import ComponentFactory, RecoveryTestFactory
from tests.recovery_world import build_shop

pytestmark = pytest.mark.django_db


def kinds(team) -> list[tuple[str, str | None]]:
    return sorted(
        Finding.objects.filter(team=team, kind__startswith="recover").values_list(
            "kind", "details__disruption"
        )
    ) + sorted(
        Finding.objects.filter(team=team, kind="unrecoverable_data").values_list(
            "kind", "component__name"
        )
    )


def test_the_worked_example_has_only_its_missing_drills(team_a):
    """Every computed figure meets Tier 1; what is missing is the evidence: no region
    or corruption drill passed in the last 90 days."""
    build_shop(team_a)
    refresh_findings(team_a.pk)
    assert kinds(team_a) == [("recovery_untested", None)]
    untested = Finding.objects.get(team=team_a, kind="recovery_untested")
    assert untested.details["missing"] == ["region", "data_corruption"]


def test_nightly_backups_copied_nowhere_are_unrecoverable_and_counted(team_a):
    """The nightly variant: unrecoverable_data (critical) for the Orders DB, point gaps
    of a day for a component failure and corruption; the Tier 1 rollup counts them.
    (Drills that measured only the time keep the computed RPO in force.)"""
    world = build_shop(team_a, nightly=True)
    for disruption in (Disruption.REGION, Disruption.DATA_CORRUPTION):
        RecoveryTestFactory(
            application=world.shop,
            disruption=disruption,
            performed_on=datetime.date.today(),
            measured_rpo_seconds=None,
        )
    refresh_findings(team_a.pk)
    refresh_rollups(team_a.pk)
    assert kinds(team_a) == [
        ("recovery_point_gap", "component"),
        ("recovery_point_gap", "data_corruption"),
        ("unrecoverable_data", "Orders DB"),
    ]
    lost = Finding.objects.get(team=team_a, kind="unrecoverable_data")
    assert lost.severity == "critical"
    assert lost.step == world.checkout
    rollup = TierRollup.objects.get(team=team_a, tier__level=1)
    assert rollup.findings_by_kind["unrecoverable_data"] == 1
    assert rollup.findings_by_kind["recovery_point_gap"] == 2


def test_a_drill_of_3_hours_against_2_is_a_failed_test(team_a):
    """The latest region drill measured RTO 3 h against Tier 1's 2 h."""
    world = build_shop(team_a)
    RecoveryTestFactory(
        application=world.shop, disruption=Disruption.REGION, measured_rto_seconds=10800
    )
    refresh_findings(team_a.pk)
    failed = Finding.objects.get(team=team_a, kind="recovery_test_failed")
    assert "measured RTO 3 h against an objective of 2 h" in failed.message
    # Passed within the interval, it is also the figure the region gap is held to.
    gap = Finding.objects.get(team=team_a, kind="recovery_time_gap")
    assert gap.details["rto_source"] == "measured"


def test_a_recovery_test_marks_its_team_for_recompute(team_a):
    world = build_shop(team_a)
    drill = RecoveryTestFactory(application=world.shop)
    assert team_of(drill) == [team_a.pk]


@pytest.mark.parametrize(
    "values",
    [
        {"replication": Replication.ASYNC},  # no lag
        {"replication": Replication.SYNC, "replication_lag_seconds": 2},
        {"pitr_window_days": 7},  # without point-in-time recovery
        {"backup_interval_seconds": 0},
        {"kind": ComponentKind.SERVICE, "backup_interval_seconds": 3600},
        {"kind": ComponentKind.SERVICE, "replication": Replication.SYNC},
    ],
)
def test_the_database_refuses_inconsistent_recovery_inputs(team_a, values):
    """Lag only (and always) with async, a window only with PITR, a backup interval of
    at least 1 s, replication and backups only on data stores."""
    row = {"team": team_a, "name": "Store", "kind": ComponentKind.DATABASE, **values}
    with pytest.raises(IntegrityError), transaction.atomic():
        Component.objects.create(**row)
    assert not Component.objects.filter(name="Store").exists()


def test_the_model_says_which_field_to_correct(team_a):
    component = ComponentFactory.build(
        team=team_a, kind=ComponentKind.DATABASE, replication=Replication.ASYNC
    )
    with pytest.raises(Exception) as caught:
        component.full_clean()
    assert "replication_lag_seconds" in caught.value.message_dict
