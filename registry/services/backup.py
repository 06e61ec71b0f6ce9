"""Backup and restore of one team's register as a single JSON document.

Rows refer to each other by their ids in the document; restoring creates new rows
and maps every reference, so a team can be restored into an empty database or beside
the original as a new team. Reference data (tiers, DR strategies, regions) is matched
by its natural key and must exist (`load_reference_data`); users are matched by
username, and a user this database does not have is left out (reported).

A backup holds the register (business functions to actions), the change history of
the historied rows, deleted rows included, the team's memberships, its report
schedules, the daily rollup snapshots behind the trend charts, its baselines
(their snapshots' ids mapped to the restored rows, so that a diff against the
restored register shows what changed, not every row), its incidents with their links,
and its PagerDuty service mapping. Findings and
rollups are computed again after a restore. Report runs and worksheet imports (jobs
and their files) are not backed up.
"""

import copy
import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from registry.analysis.recompute import request_recompute
from registry.choices import legacy_availability
from registry.jurisdictions import jurisdiction_of
from registry.models import (
    Action,
    Application,
    Baseline,
    BusinessFunction,
    Component,
    Dependency,
    DrStrategy,
    FailureMode,
    Incident,
    Membership,
    PagerDutyService,
    RecoveryTest,
    Region,
    ReportSchedule,
    RollupSnapshot,
    Step,
    Team,
    Tier,
)
from registry.models.failure_modes import undecided

# 1: the register and the history of its live rows.
# 2: memberships, report schedules, rollup snapshots, the history of deleted rows and
#    row versions; history rows name users and reference data like the other rows do.
# 3: components' availability basis; applications' residency a jurisdiction code.
# 4: baselines.
# 5: recovery: components' recovery inputs (with their replica and backup copy
#    regions), applications' detection and failover times, recovery tests.
# 6: incidents (with the ids of the components and failure modes they are linked to)
#    and PagerDuty services mapped to components. Receivers' tokens are secrets and are
#    issued again after a restore.
# 7: components' change history (availabilities adopted from incidents among it).
SCHEMA_VERSION = 7
User = get_user_model()
# Models in dependency order, each with its foreign keys to other exported models.
SECTIONS: list[tuple[str, type[models.Model], dict[str, str]]] = [
    ("memberships", Membership, {}),
    ("business_functions", BusinessFunction, {}),
    ("applications", Application, {"business_function": "business_functions"}),
    ("steps", Step, {"application": "applications"}),
    ("components", Component, {"application": "applications"}),
    (
        "dependencies",
        Dependency,
        {"step": "steps", "dependant_component": "components", "component": "components"},
    ),
    ("failure_modes", FailureMode, {"step": "steps", "component": "components"}),
    ("actions", Action, {"failure_mode": "failure_modes"}),
    ("report_schedules", ReportSchedule, {}),
    ("rollup_snapshots", RollupSnapshot, {}),
    ("baselines", Baseline, {"application": "applications"}),
    ("recovery_tests", RecoveryTest, {"application": "applications", "step": "steps"}),
    ("incidents", Incident, {}),
    ("pagerduty_services", PagerDutyService, {"component": "components"}),
]
# Sets of regions a row holds, by model: written in a document as lists of codes.
REGION_SETS: dict[type[models.Model], tuple[str, ...]] = {
    Application: ("regions",),
    Component: ("regions", "replica_regions", "backup_copy_regions"),
}
# Many-to-many links a section's rows carry as lists of ids of other sections.
LINKS: dict[type[models.Model], dict[str, str]] = {
    Incident: {"components": "components", "failure_modes": "failure_modes"},
}
# Historied models whose history rows do not carry the team: the parent that owns them.
HISTORY_PARENTS: dict[type[models.Model], tuple[str, type[models.Model]]] = {
    Step: ("application", Application),
    Action: ("failure_mode", FailureMode),
}
# Rows outside the team that a document names by a natural key instead of an id.
NATURAL_KEYS: dict[type[models.Model], str] = {
    User: User.USERNAME_FIELD,
    Tier: "level",
    DrStrategy: "code",
}
NOT_EXPORTED = {"team", "periodic_task"}  # the team is the restore's; the beat entry is remade


class RestoreError(Exception):
    """The document cannot be restored; nothing was written."""


@dataclass
class Restored:
    """What a restore made, and what it had to leave out."""

    team: Team
    counts: dict[str, int] = field(default_factory=dict)
    missing_users: set[str] = field(default_factory=set)
    skipped_memberships: list[str] = field(default_factory=list)
    disabled_schedules: list[str] = field(default_factory=list)


def _historied(model: type[models.Model]) -> bool:
    return hasattr(model, "history")


def _fields(model: type[models.Model]) -> list[models.Field]:
    """The columns a document holds: not the primary key (a history row's `id` is the
    row it records), the team, generated columns or the beat entry."""
    return [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and not f.generated and f.name not in NOT_EXPORTED
    ]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(instance: models.Model, fields: list[models.Field], keys: dict) -> dict:
    row = {}
    for f in fields:
        value = getattr(instance, f.attname)
        if f.is_relation and f.related_model in keys and value is not None:
            value = keys[f.related_model].get(value)  # None: a user deleted since
        row[f.name] = _plain(value)
    return row


def _team_rows(model: type[models.Model], team_id: int) -> models.QuerySet:
    if model is Membership:
        return Membership.objects.filter(team_id=team_id)
    return model.objects.for_team(team_id)


def _history_scope(model: type[models.Model], team_id: int) -> models.Q:
    """The history rows of the team's rows of `model`, live or deleted (subqueries)."""
    scope = models.Q(id__in=_team_rows(model, team_id).values("pk"))
    if model not in HISTORY_PARENTS:
        return scope | models.Q(team_id=team_id)
    name, parent = HISTORY_PARENTS[model]
    parents = parent.history.filter(_history_scope(parent, team_id)).values("id")
    return scope | models.Q(**{f"{name}_id__in": parents})


def export_register(team: Team) -> dict:
    """Everything of the team, with its change history."""
    keys = {
        model: dict(model.objects.values_list("pk", key)) for model, key in NATURAL_KEYS.items()
    }
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "team": {"name": team.name, "slug": team.slug},
    }
    for section, model, _ in SECTIONS:
        fields = _fields(model)
        queryset = _team_rows(model, team.pk).order_by("pk")
        region_sets = REGION_SETS.get(model, ())
        links = LINKS.get(model, {})
        queryset = queryset.prefetch_related(*region_sets, *links)
        rows = []
        for instance in queryset:
            row = {"id": instance.pk, **_row(instance, fields, keys)}
            for name in region_sets:
                row[name] = sorted(region.code for region in getattr(instance, name).all())
            for name in links:
                row[name] = sorted(linked.pk for linked in getattr(instance, name).all())
            rows.append(row)
        document[section] = rows
        if _historied(model):
            records = model.history.filter(_history_scope(model, team.pk))
            history_fields = _fields(model.history.model)
            document[f"{section}_history"] = [
                _row(record, history_fields, keys)
                for record in records.order_by("history_date", "history_id")
            ]
    return document


# --- restore --------------------------------------------------------------------------


@transaction.atomic
def import_register(
    document: dict, *, name: str | None = None, slug: str | None = None
) -> Restored:
    """Restore a document as a new team; all or nothing.

    Schedules come back enabled as they were, except beside their original team (its
    slug is in this database): a copy would send every report a second time.
    """
    document = _checked(document)
    original = document["team"]
    team = Team(name=name or original["name"], slug=slug or original["slug"])
    if Team.objects.filter(models.Q(name=team.name) | models.Q(slug=team.slug)).exists():
        raise RestoreError(
            f"A team named {team.name!r} or with slug {team.slug!r} exists; restore it under "
            "another name with --name and --slug."
        )
    beside_original = Team.objects.filter(slug=original["slug"]).exists()
    with _about("team"):
        team.full_clean()
        team.save()
    restore = _Restore(team, beside_original=beside_original)
    for section, model, references in SECTIONS:
        restore.rows(section, model, references, document.get(section, []))
        if _historied(model):
            restore.history(section, model, references, document.get(f"{section}_history", []))
    request_recompute(team.pk)
    return restore.result


def _checked(document) -> dict:
    """The document in the current format, once its shape is right."""
    if not isinstance(document, dict):
        raise RestoreError("Not a register backup: the document is not a JSON object.")
    version = document.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise RestoreError("Not a register backup: schema_version is missing.")
    if version > SCHEMA_VERSION:
        raise RestoreError(
            f"The backup has schema version {version}; this version of the register reads "
            f"up to {SCHEMA_VERSION}. Upgrade the register before restoring it."
        )
    team = document.get("team")
    if not isinstance(team, dict) or not all(
        isinstance(team.get(k), str) for k in ("name", "slug")
    ):
        raise RestoreError("Not a register backup: the team's name and slug are missing.")
    for section, model, _ in SECTIONS:
        for name in (section, f"{section}_history") if _historied(model) else (section,):
            rows = document.get(name, [])
            if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
                raise RestoreError(f"{name}: expected a list of objects.")
    if version == 1:
        document = _from_version_1(document)
    return _from_version_2(document) if version <= 2 else document


def _from_version_1(document: dict) -> dict:
    """Version 1 history rows name references by column, with the exporting database's
    ids; those of users and reference data mean nothing here, so they are dropped."""
    document = dict(document)
    for section, model, _ in SECTIONS:
        if not _historied(model):
            continue
        relations = [f for f in model.history.model._meta.concrete_fields if f.is_relation]
        rows = []
        for row in document.get(f"{section}_history", []):
            row = dict(row)
            for f in relations:
                if f.attname in row:
                    value = row.pop(f.attname)
                    if f.related_model not in NATURAL_KEYS and f.name != "team":
                        row[f.name] = value
            rows.append(row)
        document[f"{section}_history"] = rows
    return document


def _from_version_2(document: dict) -> dict:
    """Before version 3 a component's figure had no basis (the old silent default is an
    assumption, another figure an SLA) and residency was free text (mapped where the
    meaning is certain, kept aside as unmapped otherwise, as the migration did)."""
    document = dict(document)
    components = []
    for row in document.get("components", []):
        row = dict(row)
        if "availability_basis" not in row:
            availability, row["availability_basis"] = legacy_availability(row.get("availability"))
            row["availability"] = None if availability is None else str(availability)
        components.append(row)
    applications = []
    for row in document.get("applications", []):
        row = dict(row)
        residency = row.get("data_residency") or ""
        if isinstance(residency, str) and residency:
            mapped = jurisdiction_of(residency)
            row["data_residency"] = mapped or ""
            if mapped is None:
                row["data_residency_unmapped"] = residency[:20]
        applications.append(row)
    document["components"], document["applications"] = components, applications
    return document


@contextmanager
def _about(where: str) -> Iterator[None]:
    """A row the database or the model refuses: say which, and write nothing."""
    try:
        yield
    except ValidationError as exc:
        messages = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        raise RestoreError(f"{where}: {messages}") from exc
    except (DatabaseError, TypeError, ValueError) as exc:
        raise RestoreError(f"{where}: {exc}") from exc


class _Restore:
    """The state of one restore: new ids by document id, and what was left out."""

    def __init__(self, team: Team, *, beside_original: bool) -> None:
        self.team = team
        self.beside_original = beside_original
        self.result = Restored(team)
        self.by_key = {
            model: {value: pk for pk, value in model.objects.values_list("pk", key)}
            for model, key in NATURAL_KEYS.items()
        }
        self.regions = {region.code: region for region in Region.objects.all()}
        self.ids: dict[str, dict[int, int]] = {}  # live rows
        self.history_ids: dict[str, dict[int, int]] = {}  # live and deleted rows

    def rows(self, section: str, model, references: dict[str, str], rows: list[dict]) -> None:
        fields = {f.name: f for f in _fields(model)}
        extra = {"id", *REGION_SETS.get(model, ()), *LINKS.get(model, {})}
        self.ids[section] = {}
        seen: set[int] = set()
        for number, row in enumerate(rows, start=1):
            where = f"{section} row {row.get('id', f'#{number}')}"
            unknown = set(row) - set(fields) - extra
            if unknown or not isinstance(row.get("id"), int):
                problem = f"unknown fields {sorted(unknown)}" if unknown else "no id"
                raise RestoreError(f"{where}: {problem}.")
            if row["id"] in seen:  # later references could not tell the two apart
                raise RestoreError(f"{where}: the id appears twice in {section}.")
            seen.add(row["id"])
            with _about(where):
                pk = self.row(model, fields, references, row, where)
            if pk is not None:
                self.ids[section][row["id"]] = pk
        self.history_ids[section] = dict(self.ids[section])
        self.result.counts[section] = len(self.ids[section])

    def row(self, model, fields, references, row: dict, where: str) -> int | None:
        values: dict[str, Any] = {"team": self.team} if _has_field(model, "team") else {}
        stamps = {}
        for name, value in row.items():
            f = fields.get(name)
            if f is None:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                stamps[name] = f.to_python(value)  # saving would overwrite them: set afterwards
            elif f.is_relation and f.related_model in NATURAL_KEYS:
                values[f.attname] = self.natural(f, value, where, strict=True)
            elif f.is_relation:
                values[f.attname] = self.reference(references, name, value, where)
            else:
                values[name] = value
        if model is Membership and values.get("user_id") is None:
            # Reported as a skipped membership; memberships come first, so this user is
            # in missing_users again only if a later row names them.
            self.result.missing_users.discard(row.get("user"))
            self.result.skipped_memberships.append(f"{row.get('user')} ({row.get('role')})")
            return None
        if model is ReportSchedule:
            self.schedule(values)
        if model is Baseline:
            values["snapshot"] = self.baseline_snapshot(values.get("snapshot"), where)
        instance = model(**values)
        if model in (Action, Step, FailureMode):
            # What the register held comes back, even where a person entering it now
            # would be asked for more (a past due date, a looser objective's reason, an
            # owner's acceptance): its decisions are the document's, not new ones.
            instance.restored = True
        if model is FailureMode:
            # A document from before decisions needed their reasons states none.
            for name, value in undecided(instance.status, timezone.localdate()).items():
                if not getattr(instance, name):
                    setattr(instance, name, value)
        instance.full_clean()
        instance.save()
        if stamps:
            model.objects.filter(pk=instance.pk).update(**stamps)
        for name in REGION_SETS.get(model, ()):
            if name not in row:
                continue
            codes = row[name]
            if not isinstance(codes, list) or not all(code in self.regions for code in codes):
                raise RestoreError(f"{where}: unknown {name.replace('_', ' ')} {codes!r}.")
            getattr(instance, name).set([self.regions[code] for code in codes])
        for name, section in LINKS.get(model, {}).items():
            linked = row.get(name, [])
            if not isinstance(linked, list) or any(pk not in self.ids[section] for pk in linked):
                raise RestoreError(f"{where}: {name} {linked!r} are not all in the backup.")
            getattr(instance, name).set([self.ids[section][pk] for pk in linked])
        return instance.pk

    def natural(self, f: models.Field, value, where: str, *, strict: bool) -> int | None:
        if value is None:
            return None
        pk = self.by_key[f.related_model].get(value)
        if pk is None and f.related_model is User:
            self.result.missing_users.add(value)
        elif pk is None and strict:
            what = f.related_model._meta.verbose_name
            raise RestoreError(
                f"{where}: unknown {what} {value!r}: load the reference data first."
            )
        return pk

    def reference(self, references: dict[str, str], name: str, value, where: str) -> int | None:
        if value is None:
            return None
        if name not in references:
            raise RestoreError(f"{where}: {name} cannot be restored.")
        pk = self.ids[references[name]].get(value)
        if pk is None:
            raise RestoreError(f"{where}: {name} {value!r} is not in the backup.")
        return pk

    def schedule(self, values: dict) -> None:
        """Map the scope's application ids; keep a copy beside its original quiet."""
        scope = values.get("applications") or []
        if not isinstance(scope, list):
            return  # full_clean says what is wrong
        values["applications"] = [
            self.ids["applications"][pk] for pk in scope if pk in self.ids["applications"]
        ]
        if not values.get("enabled", True):
            return
        reason = None
        if scope and not values["applications"]:  # empty would mean every application
            reason = "its applications are no longer in the register"
        elif self.beside_original:
            reason = "the original team is in this database and sends it already"
        if reason:
            values["enabled"] = False
            self.result.disabled_schedules.append(f"{values.get('name')!r} ({reason})")

    def baseline_snapshot(self, snapshot, where: str) -> dict:
        """The snapshot with the restored rows' ids. A row deleted since (its history
        restored with it) keeps its history's id; one the backup does not know at all
        gets its old id negated, which no row has."""
        if not isinstance(snapshot, dict) or not isinstance(snapshot.get("failure_modes"), list):
            raise RestoreError(f"{where}: the snapshot is not a baseline's.")
        snapshot = copy.deepcopy(snapshot)

        def mapped(section: str, pk):
            return self.history_ids.get(section, {}).get(pk, -pk if isinstance(pk, int) else pk)

        application = snapshot.get("application") or {}
        application["id"] = self.ids["applications"].get(application.get("id"))
        for step in snapshot.get("steps", []):
            step["id"] = mapped("steps", step.get("id"))
        for row in snapshot["failure_modes"]:
            row["id"] = mapped("failure_modes", row.get("id"))
            for action in row.get("actions", []):
                action["id"] = mapped("actions", action.get("id"))
        return snapshot

    def history(self, section: str, model, references: dict[str, str], rows: list[dict]) -> None:
        """Replace the history the restore's own saves made with the backed-up one."""
        historical = model.history.model
        fields = {f.name: f for f in _fields(historical)}
        model.history.filter(_history_scope(model, self.team.pk)).delete()
        if not all(isinstance(row.get("id"), int) for row in rows):
            raise RestoreError(f"{section}_history: a row has no id.")
        ids = self.history_ids[section]
        deleted = sorted({row["id"] for row in rows} - set(ids))
        ids.update(zip(deleted, _reserve_ids(model, len(deleted)), strict=True))
        records = []
        for number, row in enumerate(rows, start=1):
            where = f"{section}_history row #{number}"
            unknown = set(row) - set(fields)
            if unknown:
                raise RestoreError(f"{where}: unknown fields {sorted(unknown)}.")
            with _about(where):
                records.append(self.history_row(model, fields, references, ids, row, where))
        with _about(f"{section}_history"):
            historical.objects.bulk_create(records)
        self.result.counts[f"{section}_history"] = len(records)

    def history_row(self, model, fields, references, ids, row: dict, where: str) -> models.Model:
        values: dict[str, Any] = {"team_id": self.team.pk} if _has_field(model, "team") else {}
        for name, value in row.items():
            f = fields[name]
            if name == "id":
                values["id"] = ids[value]
            elif f.is_relation and f.related_model in NATURAL_KEYS:
                values[f.attname] = self.natural(f, value, where, strict=False)
            elif f.is_relation:  # rows not in the backup (deleted components) are blank
                target = self.history_ids.get(references.get(name, ""), {})
                values[f.attname] = None if value is None else target.get(value)
            else:
                values[name] = value if value is None else f.clean(value, None)
        return model.history.model(**values)


def _has_field(model, name: str) -> bool:
    return any(f.name == name for f in model._meta.concrete_fields)


def _reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Ids the table will never give a new row: for the history of deleted rows, which
    would otherwise merge with the history of a later row given the same id."""
    if not count:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [pk for (pk,) in cursor.fetchall()]
        if connection.vendor == "sqlite":  # AUTOINCREMENT: ids stay above sqlite_sequence
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            found = cursor.fetchone()
            last = found[0] if found else 0
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, last + count]
            )
            return list(range(last + 1, last + count + 1))
    raise RestoreError(
        f"Restoring the history of deleted rows is not supported on {connection.vendor}."
    )
