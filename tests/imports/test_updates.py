"""A round trip through Excel: export, edit, import back. Rows with an id update that
failure mode when their version is still the stored one; a row changed since the
export is a conflict and nothing is written; rows without an id are created; nothing
is deleted."""

import csv
import io

import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from rest_framework.test import APIClient

from registry.imports.service import import_worksheet
from registry.models import Action, FailureMode, Membership, Team
from registry.reports import runs
from tests.imports.conftest import csv_bytes


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", verbosity=0)
    return Team.objects.get(slug="demo")


def xlsx_report(team) -> bytes:
    run = runs.request_report(team=team, user=None, format="xlsx", scope={})
    assert runs.generate(run.pk) == "done"
    run.refresh_from_db()
    with run.file.open("rb") as handle:
        return handle.read()


def edited(data: bytes, failure_mode_id: int, **cells) -> bytes:
    """The XLSX report with some cells of one failure mode's row changed, as in Excel."""
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["Worksheet"]
    headers = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[headers.index("ID")].value == failure_mode_id:
            for header, value in cells.items():
                row[headers.index(header)].value = value
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def versions(team) -> dict[int, int]:
    return dict(FailureMode.objects.filter(team=team).values_list("id", "version"))


def test_editing_one_rating_updates_exactly_that_row_and_bumps_its_version(demo):
    target = FailureMode.objects.get(team=demo, mode="Region outage")
    assert (target.severity, target.version) == (9, 1)
    before = versions(demo)
    data = edited(xlsx_report(demo), target.pk, Severity=7)

    checked = import_worksheet(team=demo, user=None, data=data, dry_run=True)
    assert checked.ok, checked.problems
    assert checked.summary["failure_modes"] == {
        "new": 0,
        "updated": 1,
        "unchanged": 9,
        "conflict": 0,
    }
    assert checked.summary["updates"] == [
        {
            "row": checked.summary["updates"][0]["row"],
            "id": target.pk,
            "mode": "Region outage",
            "changes": {"severity": [9, 7]},
        }
    ]
    assert (
        checked.summary["message"] == "0 failure modes would be created, 1 updated, 9 unchanged."
    )
    assert versions(demo) == before  # a dry run writes nothing

    result = import_worksheet(team=demo, user=None, data=data)
    assert result.ok, result.problems
    target.refresh_from_db()
    assert (target.severity, target.rpn, target.version) == (7, 7 * 2 * 3, 2)
    assert versions(demo) == {**before, target.pk: 2}
    assert FailureMode.objects.filter(team=demo).count() == 10
    assert target.history.first().history_change_reason == "Worksheet import"


def test_a_row_changed_since_the_export_is_a_conflict_and_nothing_is_written(demo):
    target = FailureMode.objects.get(team=demo, mode="Region outage")
    other = FailureMode.objects.get(team=demo, mode="Bad deployment")
    data = edited(xlsx_report(demo), target.pk, Severity=7)
    data = edited(data, other.pk, Probability=2)
    # Someone edits the row in the browser between the export and the import.
    target.detectability = 2
    target.save()
    before = versions(demo)

    result = import_worksheet(team=demo, user=None, data=data)
    assert not result.ok
    assert [p.column for p in result.problems] == ["version"]
    assert result.problems[0].message.startswith(
        f"Conflict: failure mode #{target.pk} was changed since this file was exported "
        "(version 1 in the file, 2 in the register)."
    )
    assert result.summary["failure_modes"]["conflict"] == 1
    target.refresh_from_db()
    other.refresh_from_db()
    assert (target.severity, target.detectability, target.version) == (9, 2, 2)
    assert other.probability != 2  # the other edit waits for the conflict's resolution
    assert versions(demo) == before


def test_the_api_export_edited_adds_new_rows_and_never_deletes(demo):
    owner = Membership.objects.get(team=demo, role="owner").user
    client = APIClient()
    client.force_authenticate(owner)
    response = client.get(f"/api/v1/failure-modes/export.csv?team={demo.pk}")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header, body = rows[0], rows[1:]
    kept = body[:3]  # seven rows left out of the file: they stay in the register
    new = list(kept[0])
    new[header.index("id")] = ""
    new[header.index("version")] = ""
    new[header.index("mode")] = "Certificate expired"
    result = import_worksheet(team=demo, user=owner, data=csv_bytes([header, *kept, new]))
    assert result.ok, result.problems
    assert result.summary["failure_modes"] == {
        "new": 1,
        "updated": 0,
        "unchanged": 3,
        "conflict": 0,
    }
    assert FailureMode.objects.filter(team=demo).count() == 11
    created = FailureMode.objects.get(team=demo, mode="Certificate expired")
    assert (created.version, created.created_by) == (1, owner)


def test_an_id_of_another_team_is_refused(demo, team_b):
    theirs = FailureMode.objects.filter(team=demo).first()
    rows = [
        [
            "id",
            "version",
            "business_function",
            "application",
            "tier",
            "step",
            "mode",
            "severity",
            "probability",
            "detectability",
        ],
        [theirs.pk, 1, "Sell", "Shop", 1, "Pay", "Renamed", 5, 5, 5],
    ]
    result = import_worksheet(team=team_b, user=None, data=csv_bytes(rows))
    assert not result.ok
    assert result.problems[0].column == "id"
    assert result.problems[0].message.startswith(f"No failure mode #{theirs.pk} in team")
    theirs.refresh_from_db()
    assert theirs.mode != "Renamed"


def test_an_id_without_its_version_is_refused(demo):
    theirs = FailureMode.objects.filter(team=demo).first()
    rows = [
        [
            "id",
            "business_function",
            "application",
            "tier",
            "step",
            "mode",
            "severity",
            "probability",
            "detectability",
        ],
        [theirs.pk, "Sell", "Shop", 1, "Pay", "Renamed", 5, 5, 5],
    ]
    result = import_worksheet(team=demo, user=None, data=csv_bytes(rows))
    assert [(p.row, p.column) for p in result.problems] == [(2, "version")]


def test_an_action_on_an_updated_row_is_added_once(demo):
    target = FailureMode.objects.get(team=demo, mode="Region outage")
    actions = Action.objects.filter(failure_mode=target).count()
    header = [
        "id",
        "version",
        "business_function",
        "application",
        "tier",
        "step",
        "mode",
        "severity",
        "probability",
        "detectability",
        "action",
    ]
    step = target.step
    row = [
        target.pk,
        target.version,
        step.application.business_function.name,
        step.application.name,
        step.application.tier.level,
        step.name,
        target.mode,
        target.severity,
        target.probability,
        target.detectability,
        "Rehearse failover",
    ]
    result = import_worksheet(team=demo, user=None, data=csv_bytes([header, row]))
    assert result.ok, result.problems
    assert result.summary["updates"][0]["changes"] == {"action": [None, "Rehearse failover"]}
    assert Action.objects.filter(failure_mode=target).count() == actions + 1
    # The same file again: the action is there already, the row is unchanged.
    again = import_worksheet(team=demo, user=None, data=csv_bytes([header, row]))
    assert again.summary["failure_modes"]["unchanged"] == 1
    assert Action.objects.filter(failure_mode=target).count() == actions + 1


def test_an_edit_landing_between_the_check_and_the_write_aborts_the_update(demo):
    """The UPDATE itself checks each row's version: a row changed after it was read
    raises, and the transaction writes nothing."""
    from django.db import transaction

    from registry.db.bulk import ChangedSinceRead, update_versioned

    read = list(FailureMode.objects.filter(team=demo).order_by("id")[:2])
    FailureMode.objects.filter(pk=read[1].pk).update(version=5)  # someone else's save
    for failure_mode in read:
        failure_mode.severity, failure_mode.version = 1, failure_mode.version + 1
    with pytest.raises(ChangedSinceRead), transaction.atomic():
        update_versioned(FailureMode, read, ["severity", "version"])
    assert FailureMode.objects.get(pk=read[0].pk).severity != 1
