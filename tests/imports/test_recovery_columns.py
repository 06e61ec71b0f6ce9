"""The recovery inputs of components and applications in the worksheet: exported beside
each failure mode, imported back onto the row's component and application, and checked
by the same rules (and words) as the component form and the API."""

import csv
import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from registry.columns import IMPORT_REQUIRED
from registry.forms.components import ComponentForm
from registry.imports.service import import_worksheet
from registry.models import Application, Component, Membership, Team
from registry.reports import runs
from tests.factories import TeamFactory, UserFactory
from tests.imports.conftest import csv_bytes
from tests.imports.test_round_trip import without_ids

pytestmark = pytest.mark.django_db

RECOVERY = [
    "component_recovery_time_seconds",
    "component_replication",
    "component_replication_lag_seconds",
    "component_replica_regions",
    "component_backup_interval_seconds",
    "component_point_in_time_recovery",
    "component_pitr_window_days",
    "application_detection_time_seconds",
]
HEADER = [*IMPORT_REQUIRED, "component", "component_kind", *RECOVERY]


def row(*recovery, mode="Lost writes", component="Orders DB", kind="database") -> list:
    """A worksheet row of the Shop's Pay step, with the recovery cells given."""
    return ["Ordering", "Shop", 1, "Pay", mode, 9, 3, 4, component, kind, *recovery]


def recovery_inputs(team) -> dict:
    """Each component's and application's recovery inputs, by name."""
    components = {
        c.name: (
            c.recovery_time_seconds,
            c.replication,
            c.replication_lag_seconds,
            sorted(c.replica_regions.values_list("code", flat=True)),
            c.backup_interval_seconds,
            sorted(c.backup_copy_regions.values_list("code", flat=True)),
            c.point_in_time_recovery,
            c.pitr_window_days,
        )
        for c in Component.objects.filter(team=team, failure_modes__isnull=False).distinct()
    }
    applications = {
        a.name: (a.detection_time_seconds, a.failover_time_seconds)
        for a in Application.objects.filter(team=team)
    }
    return {"components": components, "applications": applications}


@pytest.fixture
def demo(db):
    call_command("seed_demo", verbosity=0)
    return Team.objects.get(slug="demo")


def test_the_csv_export_carries_the_recovery_inputs_and_imports_them_into_a_new_team(demo):
    """The demo's Orders table (async replica in eu-central-1, lag 5 s, PITR 7 days,
    nightly backups) and Order processing's detection time come back as they were."""
    client = APIClient()
    client.force_authenticate(Membership.objects.get(team=demo, role="owner").user)
    response = client.get(f"/api/v1/failure-modes/export.csv?team={demo.pk}")
    data = b"".join(response.streaming_content)
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    orders = next(row for row in rows if row["component"] == "Orders table")
    assert orders["component_replication"] == "async"
    assert orders["component_replication_lag_seconds"] == "5"
    assert orders["component_replica_regions"] == "eu-central-1"
    assert orders["component_pitr_window_days"] == "7"
    assert orders["application_detection_time_seconds"] == "300"
    copy = TeamFactory(name="Copy", slug="copy")
    result = import_worksheet(team=copy, user=None, data=without_ids(data))
    assert result.ok, result.problems[:5]
    assert recovery_inputs(copy) == recovery_inputs(demo)
    ledger = Component.objects.get(team=copy, name="Orders table")
    assert (ledger.replication, ledger.replication_lag_seconds) == ("async", 5)
    assert list(ledger.replica_regions.values_list("code", flat=True)) == ["eu-central-1"]


def test_the_xlsx_report_round_trips_the_recovery_inputs(demo, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    run = runs.request_report(team=demo, user=None, format="xlsx", scope={})
    assert runs.generate(run.pk) == "done"
    run.refresh_from_db()
    with run.file.open("rb") as handle:
        data = handle.read()
    copy = TeamFactory(name="Copy", slug="copy")
    result = import_worksheet(team=copy, user=None, data=without_ids(data))
    assert result.ok, result.problems[:5]
    assert recovery_inputs(copy) == recovery_inputs(demo)


def test_an_import_updates_an_existing_components_inputs(empty_team):
    """A second file (another failure mode of the Orders DB) sets its backups; the
    columns it lacks stay as they were."""
    first = csv_bytes([HEADER, row(600, "async", 2, "eu-central-1", "", "yes", 7, 120)])
    assert import_worksheet(team=empty_team, user=None, data=first).ok
    second = csv_bytes(
        [
            [*HEADER[:10], "component_backup_interval_seconds"],
            row(86400, mode="Slow writes"),
        ]
    )
    assert import_worksheet(team=empty_team, user=None, data=second).ok
    orders = Component.objects.get(team=empty_team, name="Orders DB")
    assert (orders.recovery_time_seconds, orders.replication_lag_seconds) == (600, 2)
    assert (orders.backup_interval_seconds, orders.pitr_window_days) == (86400, 7)
    assert Application.objects.get(team=empty_team).detection_time_seconds == 120


# The same bad inputs for the form, the API and the import: (form/API field, value of
# the form/API, cells of the import).
BAD = {
    "negative recovery time": (
        "recovery_time_seconds",
        {"recovery_time_seconds": -5},
        [-5, "none", "", "", "", "", ""],
    ),
    "lag without async replication": (
        "replication_lag_seconds",
        {"replication": "sync", "replication_lag_seconds": 2},
        [600, "sync", 2, "", "", "", ""],
    ),
    "window without point-in-time recovery": (
        "pitr_window_days",
        {"point_in_time_recovery": False, "pitr_window_days": 7},
        [600, "none", "", "", "", "no", 7],
    ),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_a_bad_input_is_refused_alike_by_the_form_the_api_and_the_import(case, empty_team):
    field, values, cells = BAD[case]
    form = ComponentForm(
        data={"name": "Orders DB", "kind": "database", "availability_basis": "assumed", **values},
        instance=Component(team=empty_team),
    )
    assert not form.is_valid()
    [form_message] = form.errors[field]

    owner = Membership.objects.create(team=empty_team, user=UserFactory(), role="owner").user
    client = APIClient()
    client.force_authenticate(owner)
    body = {"team": empty_team.pk, "name": "Orders DB", "kind": "database", **values}
    response = client.post("/api/v1/components/", body, format="json")
    assert response.status_code == 400
    [api_message] = response.data[field]

    result = import_worksheet(
        team=empty_team, user=None, data=csv_bytes([HEADER, row(*cells, "")])
    )
    assert not result.ok
    [problem] = result.problems
    assert (problem.row, problem.column) == (2, f"component_{field}")
    assert problem.message == form_message == str(api_message)
    assert not Component.objects.filter(team=empty_team).exists()  # nothing written


def test_two_rows_giving_one_component_different_inputs_are_refused(empty_team):
    data = csv_bytes(
        [
            HEADER,
            row(600, "none", "", "", "", "", "", ""),
            row(900, "none", "", "", "", "", "", "", mode="Slow writes"),
        ]
    )
    result = import_worksheet(team=empty_team, user=None, data=data)
    assert not result.ok
    [problem] = result.problems
    assert (problem.row, problem.column) == (3, "component_recovery_time_seconds")
    assert problem.message == (
        "The component 'Orders DB' has other recovery inputs in row 2: give a component "
        "the same in every row."
    )


def test_an_unknown_region_and_replication_on_a_service_are_refused(empty_team):
    web = row(60, "async", 2, "mars-north-1", "", "", "", "", component="Web", kind="service")
    result = import_worksheet(team=empty_team, user=None, data=csv_bytes([HEADER, web]))
    assert not result.ok
    messages = {(p.column, p.message) for p in result.problems}
    assert ("component_replica_regions", "Unknown region code: mars-north-1.") in messages
    assert (
        "component_replication",
        "Only data stores (database, storage, queue) have replication, backups and "
        "point-in-time recovery.",
    ) in messages
