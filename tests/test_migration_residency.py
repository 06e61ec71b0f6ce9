"""Migration 0012 on older data: free-text jurisdictions mapped where the meaning is
certain and reported where not, silent default figures marked as assumed, shared-fate
findings renamed into tier 1."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("registry", "0009_constraint_messages")]
AFTER = [("registry", "0012_resilience_basis_residency")]


@pytest.fixture
def migrator(transactional_db):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    yield executor
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_older_data_is_mapped_and_what_is_not_is_reported(migrator, capsys):
    old = migrator.loader.project_state(BEFORE).apps
    region = old.get_model("registry", "Region")
    region.objects.create(code="eu-west-1", name="Ireland", jurisdiction="EU")
    region.objects.create(code="uk-old-1", name="Old London", jurisdiction="UK")
    region.objects.create(code="eu-old-1", name="Somewhere", jurisdiction="Europe")
    team = old.get_model("registry", "Team").objects.create(name="T", slug="t")
    tier = old.get_model("registry", "Tier").objects.create(
        level=1,
        name="Tier 1",
        rto_seconds=7200,
        rpo_seconds=30,
        availability_target=Decimal("99.999"),
        rpn_threshold=100,
        review_interval_days=90,
    )
    strategy = old.get_model("registry", "DrStrategy").objects.create(
        code="active_active",
        name="Active/active",
        cost_rank=4,
        best_rto_seconds=0,
        best_rpo_seconds=0,
        multi_region=True,
    )
    application = old.get_model("registry", "Application")
    for name, residency in (("Shop", "uk"), ("Blog", "Europe"), ("Wiki", "")):
        application.objects.create(
            team=team, name=name, tier=tier, dr_strategy=strategy, data_residency=residency
        )
    component = old.get_model("registry", "Component")
    component.objects.create(team=team, name="Default", kind="service")  # 99.9 by default
    component.objects.create(
        team=team, name="Entered", kind="service", availability=Decimal("99.95")
    )
    now = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
    old.get_model("registry", "Finding").objects.create(
        team=team,
        key="shared_fate:component:1",
        kind="shared_fate",
        severity="high",
        message="3 tier-1 steps fail together",
        first_seen_at=now,
        computed_at=now,
    )

    migrator.loader.build_graph()
    migrator.migrate(AFTER)
    output = capsys.readouterr().out

    new = migrator.loader.project_state(AFTER).apps
    countries = dict(new.get_model("registry", "Region").objects.values_list("code", "country"))
    assert countries == {"eu-west-1": "IE", "uk-old-1": "GB", "eu-old-1": ""}
    residency = {
        row[0]: row[1:]
        for row in new.get_model("registry", "Application").objects.values_list(
            "name", "data_residency", "data_residency_unmapped"
        )
    }
    assert residency == {"Shop": ("GB", ""), "Blog": ("", "Europe"), "Wiki": ("", "")}
    figures = {
        row[0]: row[1:]
        for row in new.get_model("registry", "Component").objects.values_list(
            "name", "availability", "availability_basis"
        )
    }
    assert figures == {"Default": (None, "assumed"), "Entered": (Decimal("99.95"), "sla")}
    finding = new.get_model("registry", "Finding").objects.get()
    assert (finding.kind, finding.key, finding.tier_id) == (
        "common_dependency",
        "common_dependency:component:1",
        tier.pk,
    )
    assert new.get_model("registry", "DrStrategy").objects.get().serves_all_regions
    assert "region eu-old-1: “Europe”" in output
    assert "application" in output and "“Europe”" in output
    assert "1 at the old 99.9 % default now assumed" in output
