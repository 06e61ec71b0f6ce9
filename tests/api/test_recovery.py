"""Recovery over the API: recovery tests (CRUD under the permission matrix, filters,
validation, flat list queries) and each step's recovery table."""

import datetime

import pytest

from registry.choices import ComponentKind, Disruption, RecoveryTestOutcome
from registry.models import Component, RecoveryTest
from tests.api.matrix import PermissionMatrix, Resource, assert_list_queries_are_flat, snapshot
from tests.factories import ApplicationFactory, RecoveryTestFactory, StepFactory
from tests.recovery_world import build_shop

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]

TESTS = "/api/v1/recovery-tests/"
COMPONENTS = "/api/v1/components/"


class RecoveryTests(Resource):
    name = "recovery-tests"
    path = TESTS
    model = RecoveryTest
    reference = "application"
    movable = False

    def make(self, team):
        return RecoveryTestFactory(application=ApplicationFactory(team=team))

    def payload(self, team) -> dict:
        return {
            "application": ApplicationFactory(team=team).pk,
            "disruption": "region",
            "performed_on": "2026-05-01",
            "scenario": "Promoted the replica in Frankfurt.",
            "measured_rto_seconds": 1800,
            "measured_rpo_seconds": 2,
            "outcome": "passed",
        }

    def change(self) -> dict:
        return {"notes": "The DNS TTL was the slowest part."}

    def replacement(self, team) -> dict:
        return {**self.payload(team), "scenario": "Restored last night's backup."}

    def assert_replaced(self, row, body: dict) -> None:
        assert row.scenario == body["scenario"]


class TestPermissionMatrix(PermissionMatrix):
    resources = (RecoveryTests(),)


def test_a_recorded_test_belongs_to_the_applications_team_and_its_recorder(api, bob, team_a):
    body = RecoveryTests().payload(team_a)
    response = api.as_user(bob).post(TESTS, body, format="json")
    assert response.status_code == 201, response.data
    assert response.data["team"] == team_a.pk
    assert response.data["recorded_by"] == "bob"
    assert RecoveryTest.objects.get().recorded_by == bob


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"measured_rto_seconds": None}, "measured_rto_seconds"),  # a pass needs its figure
        ({"measured_rto_seconds": -1}, "measured_rto_seconds"),
        ({"disruption": "meteor"}, "disruption"),
        ({"performed_on": "2999-01-01"}, "performed_on"),
        ({"runbook_url": "not a url"}, "runbook_url"),
    ],
)
def test_a_bad_test_is_refused_on_its_field_and_nothing_is_written(
    api, bob, team_a, change, field
):
    body = {**RecoveryTests().payload(team_a), **change}
    before = snapshot()
    response = api.as_user(bob).post(TESTS, body, format="json")
    assert response.status_code == 400
    assert list(response.data) == [field]
    assert snapshot() == before


def test_a_step_of_another_application_is_refused(api, bob, team_a):
    other = StepFactory(application=ApplicationFactory(team=team_a))
    body = {**RecoveryTests().payload(team_a), "step": other.pk}
    response = api.as_user(bob).post(TESTS, body, format="json")
    assert response.status_code == 400
    assert response.data["step"] == ["Choose a step of the application tested."]


def test_tests_filter_by_application_disruption_outcome_and_dates(api, alice, team_a):
    shop, other = ApplicationFactory(team=team_a), ApplicationFactory(team=team_a)
    day = datetime.date(2026, 5, 1)
    kept = RecoveryTestFactory(
        application=shop,
        disruption=Disruption.DATA_CORRUPTION,
        outcome=RecoveryTestOutcome.FAILED,
        performed_on=day,
    )
    RecoveryTestFactory(application=shop, disruption=Disruption.REGION, performed_on=day)
    RecoveryTestFactory(
        application=shop,
        disruption=Disruption.DATA_CORRUPTION,
        outcome=RecoveryTestOutcome.FAILED,
        performed_on=day - datetime.timedelta(days=60),
    )
    RecoveryTestFactory(application=other, disruption=Disruption.DATA_CORRUPTION)
    response = api.as_user(alice).get(
        TESTS,
        {
            "application": shop.pk,
            "disruption": "data_corruption",
            "outcome": "failed",
            "performed_after": "2026-04-01",
            "performed_before": "2026-05-31",
        },
    )
    assert [row["id"] for row in response.data["results"]] == [kept.pk]


def test_the_list_runs_the_same_queries_for_any_page_size(
    api, alice, team_a, django_assert_max_num_queries
):
    application = ApplicationFactory(team=team_a)
    for days in range(30):
        RecoveryTestFactory(
            application=application,
            performed_on=datetime.date(2026, 1, 1) + datetime.timedelta(days=days),
        )
    assert_list_queries_are_flat(api.as_user(alice), TESTS, 30, 3, django_assert_max_num_queries)


def test_a_steps_recovery_gives_the_worked_example(api, alice, team_a):
    """Component 900 s / 2 s, region 300 s / 2 s, corruption 900 s / 1 s, against
    Tier 1's 2 h / 30 s, with their bottlenecks."""
    world = build_shop(team_a)
    body = api.as_user(alice).get(f"/api/v1/steps/{world.checkout.pk}/recovery/").json()
    rows = {row["disruption"]: row for row in body["disruptions"]}
    figures = {
        d: (r["achievable"]["rto_seconds"], r["achievable"]["rpo_seconds"])
        for d, r in rows.items()
    }
    assert figures == {"component": (900, 2), "region": (300, 2), "data_corruption": (900, 1)}
    component = rows["component"]
    assert (component["rto_objective_seconds"], component["rpo_objective_seconds"]) == (7200, 30)
    assert component["achievable"]["rto_bottleneck"]["name"] == "Orders DB"
    assert component["rto_meets_objective"] and component["rpo_meets_objective"]
    assert component["rto_source"] == "computed" and component["last_test"] is None


def test_a_passed_drill_is_the_figure_the_step_uses(api, alice, team_a):
    world = build_shop(team_a)
    RecoveryTestFactory(application=world.shop, measured_rto_seconds=10800)
    body = api.as_user(alice).get(f"/api/v1/steps/{world.checkout.pk}/recovery/").json()
    region = next(row for row in body["disruptions"] if row["disruption"] == "region")
    assert (region["rto_seconds"], region["rto_source"]) == (10800, "measured")
    assert region["rto_meets_objective"] is False


def test_another_teams_step_recovery_is_404(api, charlie, team_a):
    world = build_shop(team_a)
    response = api.as_user(charlie).get(f"/api/v1/steps/{world.checkout.pk}/recovery/")
    assert response.status_code == 404


def test_recovery_inputs_round_trip_and_are_checked(api, bob, team_a):
    """A data store with an async replica in Frankfurt and backups copied there; lag
    without async is refused on the lag field."""
    body = {
        "team": team_a.pk,
        "name": "Ledger",
        "kind": "database",
        "recovery_time_seconds": 600,
        "replication": "async",
        "replication_lag_seconds": 2,
        "replica_regions": ["eu-central-1"],
        "backup_interval_seconds": 86400,
        "backup_copy_regions": ["eu-central-1"],
        "point_in_time_recovery": True,
        "pitr_window_days": 7,
    }
    response = api.as_user(bob).post(COMPONENTS, body, format="json")
    assert response.status_code == 201, response.data
    assert response.data["replica_regions"] == ["eu-central-1"]
    ledger = Component.objects.get(name="Ledger")
    assert list(ledger.backup_copy_regions.values_list("code", flat=True)) == ["eu-central-1"]
    bad = {**body, "name": "Cache", "kind": ComponentKind.SERVICE, "replication": "none"}
    response = api.as_user(bob).post(COMPONENTS, bad, format="json")
    assert response.status_code == 400
    assert "replication_lag_seconds" in response.data


def test_the_outcome_is_explained_alike_in_the_api_schema_and_the_form(api, bob, team_a):
    """The outcome's help text is the model's: the schema and the form both show it."""
    from registry.forms.recovery_tests import RecoveryTestForm

    expected = RecoveryTest._meta.get_field("outcome").help_text
    assert "whatever the figures" in expected
    schema = api.as_user(bob).get("/api/v1/schema/", {"format": "json"}).json()
    properties = schema["components"]["schemas"]["RecoveryTest"]["properties"]
    assert properties["outcome"]["description"].startswith(expected)  # then the choices
    application = ApplicationFactory(team=team_a)
    form = RecoveryTestForm(instance=RecoveryTest(application=application, team=team_a))
    assert form.fields["outcome"].help_text == expected
