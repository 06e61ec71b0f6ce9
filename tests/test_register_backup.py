"""export_register / import_register: a team's register survives a round trip."""

import datetime
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from registry.analysis import rollups
from registry.choices import Role
from registry.models import (
    Action,
    Application,
    Baseline,
    BusinessFunction,
    Component,
    Dependency,
    DrStrategy,
    FailureMode,
    Membership,
    RecoveryTest,
    Region,
    ReportSchedule,
    RollupSnapshot,
    Step,
    Team,
    Tier,
)
from registry.services import baselines
from registry.services.backup import REGION_SETS, SCHEMA_VERSION
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
REGISTER = [
    Membership,
    BusinessFunction,
    Application,
    Baseline,
    Step,
    Component,
    Dependency,
    FailureMode,
    Action,
    ReportSchedule,
    RollupSnapshot,
    RecoveryTest,
]
NOT_COMPARED = {"id", "team", "periodic_task", "history_id"}


# --- every row by content and relations, without ids ----------------------------------


def name_of(model, pk):
    """A row named by its content; a deleted one by its last history row."""
    if pk is None:
        return None
    row = model.objects.filter(pk=pk).first()
    if row is None and hasattr(model, "history"):
        row = model.history.filter(id=pk).order_by("-history_date", "-history_id").first()
    if row is None:
        return None
    if model is User:
        return row.username
    if model is Tier:
        return row.level
    if model in (DrStrategy, Region):
        return row.code
    if model is Step:
        return (name_of(Application, row.application_id), row.order)
    if model is FailureMode:
        return (name_of(Step, row.step_id), row.mode)
    if model is Action:
        return (name_of(FailureMode, row.failure_mode_id), row.description)
    return row.name


def described(row) -> dict:
    values = {}
    for f in type(row)._meta.concrete_fields:
        if f.name in NOT_COMPARED:
            continue
        value = getattr(row, f.attname)
        values[f.name] = name_of(f.related_model, value) if f.is_relation else value
    for name in REGION_SETS.get(type(row), ()):
        values[name] = sorted(getattr(row, name).values_list("code", flat=True))
    if isinstance(row, ReportSchedule):
        values["applications"] = [name_of(Application, pk) for pk in row.applications]
    return values


def history_of(model, team: Team):
    if model in (Application, FailureMode):
        return model.history.filter(team_id=team.pk)
    parent, name = (Application, "application") if model is Step else (FailureMode, "failure_mode")
    return model.history.filter(**{f"{name}_id__in": history_of(parent, team).values("id")})


def content(team: Team) -> dict:
    """Every row of the team (history included) by content and relations, without ids."""
    rows = {
        model.__name__: sorted(
            (described(row) for row in model.objects.filter(**{team_path(model): team})),
            key=repr,
        )
        for model in REGISTER
    }
    for model in (Application, Step, FailureMode, Action):
        rows[f"{model.__name__} history"] = sorted(
            ({"object": name_of(model, r.id), **described(r)} for r in history_of(model, team)),
            key=repr,
        )
    return rows


def team_path(model) -> str:
    return {
        Step: "application__team",
        Dependency: "component__team",
        Action: "failure_mode__team",
    }.get(model, "team")


def beat_entries(team: Team) -> list[tuple]:
    """Each schedule's beat entry: it fires this schedule, on its crontab, if enabled."""
    entries = []
    for schedule in ReportSchedule.objects.filter(team=team).select_related("periodic_task"):
        task = schedule.periodic_task
        crontab = task.crontab
        assert json.loads(task.kwargs) == {"schedule_id": schedule.pk}
        fields = (crontab.minute, crontab.hour, crontab.day_of_month)
        entries.append((schedule.name, task.task, task.enabled, " ".join(fields)))
    return sorted(entries)


# --- the demo team, with schedules, memberships, changes and deletions ------------------


@pytest.fixture
def demo() -> Team:
    call_command("seed_demo", verbosity=0)
    team = Team.objects.get(slug="demo")
    owner = User.objects.get(username="demo")
    bob, carol = UserFactory(username="bob"), UserFactory(username="carol")
    Membership.objects.create(team=team, user=bob, role=Role.EDITOR)
    Membership.objects.create(team=team, user=carol, role=Role.VIEWER)
    order = Application.objects.get(team=team, name="Order processing")
    ReportSchedule.objects.create(
        team=team,
        name="Weekly tier 1",
        crontab="0 7 * * 1",
        recipients="risk@example.com, cto@example.com",
        tiers=[1],
        applications=[order.pk],
        statuses=["open"],
        min_rpn=100,
        created_by=owner,
    )
    ReportSchedule.objects.create(
        team=team,
        name="Monthly",
        format="csv",
        crontab="30 6 1 * *",
        recipients="audit@example.com",
        enabled=False,
    )
    # History: a change, a review, a sign-off, and deleted rows whose history remains.
    failure_mode = FailureMode.objects.filter(team=team).order_by("pk").first()
    failure_mode.severity, failure_mode.updated_by = 9, bob
    failure_mode.save()
    Step.objects.get(application=order, name="Pay").mark_reviewed(bob)
    corruption = FailureMode.objects.get(team=team, mode__startswith="Silent data corruption")
    corruption.sign_off_review(owner)
    FailureMode.objects.get(team=team, mode="TLS certificate expires").delete()  # and its action
    Step.objects.get(name="Build daily reports").delete()
    rollups.nightly(datetime.date(2026, 11, 26))
    return team


def export(tmp_path, slug: str = "demo") -> tuple:
    backup = tmp_path / f"{slug}.json"
    call_command("export_register", "--team", slug, "--output", str(backup))
    return backup, json.loads(backup.read_text())


def restore(*args) -> str:
    out = StringIO()
    call_command("import_register", *args, stdout=out)
    return out.getvalue()


def test_the_demo_team_survives_export_and_restore_as_a_copy(demo, tmp_path):
    """Restored beside the original, every row matches (ids aside); the copy's
    schedules are disabled, so that the recipients do not get every report twice."""
    backup, document = export(tmp_path)
    assert document["schema_version"] == SCHEMA_VERSION
    before = content(demo)
    output = restore(str(backup), "--name", "Demo copy", "--slug", "demo-copy")
    copy = Team.objects.get(slug="demo-copy")
    expected = {**before}
    expected["ReportSchedule"] = sorted(
        ({**row, "enabled": False} for row in before["ReportSchedule"]), key=repr
    )
    assert content(copy) == expected
    assert content(demo) == before
    assert "'Weekly tier 1' (the original team is in this database" in output
    assert beat_entries(copy) == [
        ("Monthly", "registry.run_report_schedule", False, "30 6 1"),
        ("Weekly tier 1", "registry.run_report_schedule", False, "0 7 *"),
    ]
    assert beat_entries(demo) == [
        ("Monthly", "registry.run_report_schedule", False, "30 6 1"),
        ("Weekly tier 1", "registry.run_report_schedule", True, "0 7 *"),
    ]


@pytest.mark.django_db(transaction=True)  # flush TRUNCATEs: not inside a test's transaction
def test_restoring_into_an_empty_database(demo, tmp_path):
    """Export, empty the database, restore: the same rows come back, schedules as they
    were, and the memberships of users this database has."""
    backup, _ = export(tmp_path)
    before = content(demo)
    call_command("flush", interactive=False, verbosity=0)
    call_command("load_reference_data", verbosity=0)
    for username in ("demo", "bob"):  # carol has no account here
        UserFactory(username=username)
    output = restore(str(backup))
    restored = Team.objects.get(slug="demo")
    expected = {**before}
    expected["Membership"] = [row for row in before["Membership"] if row["user"] != "carol"]
    assert content(restored) == expected
    assert len(expected["Membership"]) == 2
    assert len(expected["FailureMode history"]) > len(expected["FailureMode"])
    assert "carol (viewer)" in output
    assert beat_entries(restored) == [
        ("Monthly", "registry.run_report_schedule", False, "30 6 1"),
        ("Weekly tier 1", "registry.run_report_schedule", True, "0 7 *"),
    ]


def test_the_history_of_deleted_rows_keeps_ids_no_new_row_gets(demo, tmp_path):
    """A failure mode created after the restore starts with a history of its own."""
    backup, _ = export(tmp_path)
    restore(str(backup), "--name", "Demo copy", "--slug", "demo-copy")
    copy = Team.objects.get(slug="demo-copy")
    deleted = FailureMode.history.filter(team_id=copy.pk, history_type="-")
    assert [record.mode for record in deleted] == ["TLS certificate expires"]
    step = Step.objects.filter(application__team=copy).first()
    new = FailureMode.objects.create(
        step=step, mode="New", severity=1, probability=1, detectability=1
    )
    assert new.pk > deleted[0].id
    assert list(new.history.values_list("history_type", flat=True)) == ["+"]


def test_a_version_1_backup_is_still_read(demo, tmp_path):
    """Version 1 had no memberships, schedules, snapshots or row versions, and named
    history references by column with the exporting database's ids."""
    _, document = export(tmp_path)
    document["schema_version"] = 1
    for section in ("memberships", "report_schedules", "rollup_snapshots"):
        del document[section]
    for section in ("failure_modes", "actions"):
        for row in document[section]:
            del row["version"]
    for section, model in (
        ("applications", Application),
        ("steps", Step),
        ("failure_modes", FailureMode),
        ("actions", Action),
    ):
        records = {(r.id, r.history_date.isoformat()): r for r in model.history.all()}
        for row in document[f"{section}_history"]:
            record = records[row["id"], row["history_date"]]
            for f in model.history.model._meta.concrete_fields:
                if f.is_relation and f.name != "history_user":
                    row.pop(f.name, None)
                    row[f.attname] = getattr(record, f.attname)
    backup = tmp_path / "v1.json"
    backup.write_text(json.dumps(document))
    restore(str(backup), "--name", "Demo v1", "--slug", "demo-v1")
    copy = Team.objects.get(slug="demo-v1")
    restored, original = content(copy), content(demo)
    assert restored["Application"] == original["Application"]
    assert restored["Dependency"] == original["Dependency"]
    assert len(restored["FailureMode history"]) == len(original["FailureMode history"])
    assert {row["object"] for row in restored["FailureMode history"]} == {
        row["object"] for row in original["FailureMode history"]
    }
    assert restored["Membership"] == restored["ReportSchedule"] == []


def test_a_newer_schema_version_is_refused_and_nothing_is_written(demo, tmp_path):
    backup, document = export(tmp_path)
    document["schema_version"] = SCHEMA_VERSION + 1
    backup.write_text(json.dumps(document))
    with pytest.raises(CommandError, match=f"schema version {SCHEMA_VERSION + 1}.*Upgrade"):
        restore(str(backup), "--slug", "other", "--name", "Other")
    assert not Team.objects.filter(slug="other").exists()


RECOVERY_FIELDS = {
    "components": Component.RECOVERY_FIELDS,
    "applications": ["detection_time_seconds", "failover_time_seconds"],
}


def test_a_version_4_backup_restores_without_recovery_inputs(demo, tmp_path):
    """Before version 5 there were no recovery inputs or tests: the restore gets the
    defaults (no replication, nothing entered) and no tests."""
    backup, document = export(tmp_path)
    document["schema_version"] = 4
    document.pop("recovery_tests")
    document.pop("recovery_tests_history")
    for section, names in RECOVERY_FIELDS.items():
        for row in document[section] + document.get(f"{section}_history", []):
            for name in names:
                row.pop(name, None)
    backup.write_text(json.dumps(document))
    restore(str(backup), "--name", "Old copy", "--slug", "old-copy")
    copy = Team.objects.get(slug="old-copy")
    orders = copy.components.get(name="Orders table")
    assert (orders.replication, orders.recovery_time_seconds) == ("none", None)
    assert not orders.replica_regions.exists()
    assert not RecoveryTest.objects.filter(team=copy).exists()


def test_recovery_inputs_and_tests_survive_a_backup(demo, tmp_path):
    backup, document = export(tmp_path)
    orders = next(row for row in document["components"] if row["name"] == "Orders table")
    assert (orders["replication"], orders["replica_regions"]) == ("async", ["eu-central-1"])
    assert len(document["recovery_tests"]) == 2
    restore(str(backup), "--name", "Copy", "--slug", "copy")
    copy = Team.objects.get(slug="copy")
    restored = copy.components.get(name="Orders table")
    assert list(restored.backup_copy_regions.values_list("code", flat=True)) == ["eu-central-1"]
    assert sorted(RecoveryTest.objects.filter(team=copy).values_list("outcome", flat=True)) == [
        "failed",
        "passed",
    ]


def counts() -> tuple:
    return (
        Team.objects.count(),
        Membership.objects.count(),
        FailureMode.history.count(),
        Action.history.count(),
        ReportSchedule.objects.count(),
        PeriodicTask.objects.count(),
    )


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda d: d["failure_modes"][-1].update(severity=11), "failure_modes row"),
        (lambda d: d["actions"][-1].update(failure_mode=999999), "not in the backup"),
        (lambda d: d["applications"][0].update(tier=42), "unknown tier 42"),
        (lambda d: d["steps"][0].update(colour="red"), r"unknown fields \['colour'\]"),
        (lambda d: d.update(steps={"id": 1}), "steps: expected a list"),
        (lambda d: d.update(team=None), "name and slug are missing"),
        (lambda d: d["report_schedules"][-1].update(crontab="every day"), "report_schedules"),
        (
            lambda d: d["actions_history"][-1].update(history_date="yesterday"),
            "actions_history row",
        ),
        (lambda d: d["actions_history"][-1].update(history_type="?"), "actions_history row"),
        (lambda d: d["steps"].append(dict(d["steps"][0])), "the id appears twice in steps"),
        (lambda d: d["steps"][0].update(regions=["eu-west-1"]), r"unknown fields \['regions'\]"),
    ],
    ids=[
        "rating",
        "reference",
        "tier",
        "field",
        "section",
        "team",
        "schedule",
        "history date",
        "history type",
        "duplicate id",
        "regions of a step",
    ],
)
def test_a_broken_document_gives_a_clear_error_and_writes_nothing(
    demo, tmp_path, breakage, message
):
    backup, document = export(tmp_path)
    breakage(document)
    backup.write_text(json.dumps(document))
    before = counts()
    with pytest.raises(CommandError, match=f"Nothing was restored. .*{message}"):
        restore(str(backup), "--slug", "broken", "--name", "Broken")
    assert counts() == before


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"schema_version": "2"}'])
def test_a_file_that_is_no_backup_is_refused(tmp_path, text):
    backup = tmp_path / "bad.json"
    backup.write_text(text)
    with pytest.raises(CommandError, match=r"Cannot read|Not a register backup"):
        restore(str(backup))
    assert not Team.objects.exists()


def test_a_version_2_backup_gets_its_figures_basis_and_residency(demo, tmp_path):
    """Before version 3 figures had no basis and residency was free text: the old silent
    99.9 % comes back assumed, another figure as an SLA, "eu" as EU and "Europe" kept
    aside as unmapped, as the migration does."""
    _, document = export(tmp_path)
    document["schema_version"] = 2
    for row in document["components"]:
        row.pop("availability_basis")
        row.pop("availability_measured_over_days")
        if row["availability"] is None:
            row["availability"] = "99.9"
    order, clickstream = sorted(document["applications"], key=lambda row: row["name"])[::-1]
    order["data_residency"], clickstream["data_residency"] = "eu", "Europe"
    for row in document["applications"]:
        row.pop("data_residency_unmapped")
    backup = tmp_path / "v2.json"
    backup.write_text(json.dumps(document))
    restore(str(backup), "--name", "Demo v2", "--slug", "demo-v2")
    copy = Team.objects.get(slug="demo-v2")
    components = {c.name: c for c in Component.objects.filter(team=copy)}
    card, dns = components["Card network API"], components["DNS"]
    assert (card.availability, card.availability_basis) == (None, "assumed")
    assert (dns.availability, dns.availability_basis) == (Decimal("99.99"), "sla")
    residency = dict(
        Application.objects.filter(team=copy).values_list("name", "data_residency_unmapped")
    )
    assert residency == {"Order processing": "", "Clickstream analytics": "Europe"}
    assert Application.objects.get(team=copy, name="Order processing").data_residency == "EU"


def test_baselines_survive_a_restore_and_diff_the_same(tmp_path):
    """A baseline frozen before a deletion and a change, restored beside its team: the
    same revision, title and approval, and its diff against the restored register
    lists the same rows as the original's (its ids follow the restored rows)."""
    call_command("seed_demo", verbosity=0)
    team = Team.objects.get(slug="demo")
    owner = User.objects.get(username="demo")
    order = Application.objects.get(team=team, name="Order processing")
    frozen = baselines.approve(
        baselines.freeze(application=order, user=owner, title="Q3 review"), owner
    )
    changed = FailureMode.objects.filter(step__application=order).order_by("pk").first()
    changed.severity = 1 if changed.severity > 1 else 2
    changed.save()
    FailureMode.objects.filter(step__application=order).order_by("-pk").first().delete()
    original = [(c.kind, c.mode) for c in baselines.compare(frozen, "current").changes]
    assert sorted(kind for kind, _ in original) == ["changed", "removed"]

    backup, document = export(tmp_path)
    assert [row["title"] for row in document["baselines"]] == ["Q3 review"]
    restore(str(backup), "--name", "Demo copy", "--slug", "demo-copy")
    copy = Baseline.objects.get(team__slug="demo-copy")
    assert (copy.number, copy.title, copy.approved_by, copy.stamp) == (
        1,
        "Q3 review",
        owner,
        frozen.stamp,
    )
    assert copy.application.name == "Order processing" and copy.application != order
    assert [(c.kind, c.mode) for c in baselines.compare(copy, "current").changes] == original


def test_incidents_and_their_links_survive_a_restore(demo, tmp_path):
    """An incident linked to a component and two failure modes, and a PagerDuty service
    mapped to a component, come back linked to the restored rows; receivers' tokens do
    not (they are secrets: issued again)."""
    from registry.models import Incident, IncidentReceiver, PagerDutyService
    from registry.services.incidents import rotate_receiver_token

    Incident.objects.filter(team=demo).delete()  # the demo's own: this test makes its one
    database = Component.objects.filter(team=demo).order_by("pk").first()
    first, second = FailureMode.objects.filter(team=demo).order_by("pk")[:2]
    started = datetime.datetime(2026, 10, 1, 9, 0, tzinfo=datetime.UTC)
    incident = Incident.objects.create(
        team=demo,
        title="Orders DB failover stuck",
        started_at=started,
        detected_at=started + datetime.timedelta(minutes=40),
        resolved_at=started + datetime.timedelta(hours=2),
        source="pagerduty",
        external_id="PGR0VU2",
        data_lost_seconds=30,
    )
    incident.components.add(database)
    incident.failure_modes.add(first, second)
    PagerDutyService.objects.create(team=demo, service_id="PF9KMXH", component=database)
    rotate_receiver_token(team_id=demo.pk, source="pagerduty", user=None)

    backup, document = export(tmp_path)
    assert document["schema_version"] == SCHEMA_VERSION
    assert document["incidents"][0]["failure_modes"] == sorted([first.pk, second.pk])
    restore(str(backup), "--name", "Demo copy", "--slug", "demo-copy")

    copy = Incident.objects.get(team__slug="demo-copy")
    assert (copy.title, copy.external_id, copy.detected_at, copy.data_lost_seconds) == (
        "Orders DB failover stuck",
        "PGR0VU2",
        started + datetime.timedelta(minutes=40),
        30,
    )
    assert [c.name for c in copy.components.all()] == [database.name]
    assert sorted(f.mode for f in copy.failure_modes.all()) == sorted([first.mode, second.mode])
    assert all(f.team.slug == "demo-copy" for f in copy.failure_modes.all())
    mapping = PagerDutyService.objects.get(team__slug="demo-copy")
    assert mapping.component.team.slug == "demo-copy"
    assert not IncidentReceiver.objects.filter(team__slug="demo-copy").exists()


def test_a_version_4_backup_without_incidents_is_still_read(demo, tmp_path):
    backup, document = export(tmp_path)
    document["schema_version"] = 4
    for section in ("incidents", "incidents_history", "pagerduty_services"):
        document.pop(section, None)
    backup.write_text(json.dumps(document))

    restore(str(backup), "--name", "Demo copy", "--slug", "demo-copy")

    assert Team.objects.get(slug="demo-copy").incidents.count() == 0


def test_a_components_history_survives_a_restore(demo, tmp_path):
    """Version 7 holds components' history: an availability adopted from incidents
    comes back with the note saying where it came from."""
    component = Component.objects.filter(team=demo).order_by("pk").first()
    component.availability = Decimal("99.9257")
    component.availability_basis = "measured"
    component.availability_measured_over_days = 365
    component._change_reason = "Availability measured from incidents: 99.92 % over 365 days"
    component.save()

    backup, document = export(tmp_path)
    restore(str(backup), "--name", "Demo copy", "--slug", "demo-copy")

    assert document["schema_version"] == 7
    copy = Component.objects.get(team__slug="demo-copy", name=component.name)
    assert copy.history.latest("history_date").history_change_reason == (
        "Availability measured from incidents: 99.92 % over 365 days"
    )
    assert copy.availability == Decimal("99.9257")


def test_a_version_6_backup_without_components_history_is_still_read(demo, tmp_path):
    backup, document = export(tmp_path)
    document["schema_version"] = 6
    document.pop("components_history")
    backup.write_text(json.dumps(document))

    restore(str(backup), "--name", "Demo copy", "--slug", "demo-copy")

    copy = Team.objects.get(slug="demo-copy")
    assert copy.components.count() == Component.objects.filter(team=demo).count()
