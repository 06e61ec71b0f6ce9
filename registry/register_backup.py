"""Backup and restore of one team's register as a single JSON document.

Rows refer to each other by their ids in the document; restoring creates new rows
and maps every reference, so a team can be restored into an empty database or beside
the original as a new team. Reference data (tiers, regions, DR strategies) is matched
by its natural key and must exist (`load_reference_data`).
"""

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction

from registry.models import (
    Action,
    Application,
    BusinessFunction,
    Component,
    Dependency,
    DrStrategy,
    FailureMode,
    Region,
    Step,
    Team,
    Tier,
)
from registry.recompute import request_recompute

SCHEMA_VERSION = 1
SKIPPED = {
    "id",
    "team",
    "version",
    "rpn",
    "action_priority",
    "revised_rpn",
    "revised_action_priority",
}
USER_FIELDS = {"created_by", "updated_by", "review_signed_off_by", "last_reviewed_by"}
# Models in dependency order, each with its foreign keys to other exported models.
SECTIONS: list[tuple[str, type[models.Model], dict[str, str]]] = [
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
]
HISTORY = {"applications", "steps", "failure_modes", "actions"}


class RestoreError(Exception):
    """The document cannot be restored; nothing was written."""


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(instance: models.Model, fields: list[models.Field]) -> dict:
    row = {}
    for field in fields:
        if field.name in SKIPPED and field.name != "id":
            continue
        if isinstance(field, models.ForeignKey):
            related_id = getattr(instance, field.attname)
            if field.name in USER_FIELDS:
                row[field.name] = getattr(instance, field.name).username if related_id else None
            elif field.related_model is Tier:
                row[field.name] = instance.tier.level
            elif field.related_model is DrStrategy:
                row[field.name] = instance.dr_strategy.code
            else:
                row[field.name] = related_id
        else:
            row[field.name] = _plain(getattr(instance, field.attname))
    return row


def export_register(team: Team) -> dict:
    """Everything of the team, with its change history."""
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "team": {"name": team.name, "slug": team.slug},
    }
    for name, model, _ in SECTIONS:
        fields = [
            f for f in model._meta.concrete_fields if f.name not in SKIPPED or f.name == "id"
        ]
        queryset = model.objects.for_team(team.pk).order_by("pk")
        if model in (Application, Component):
            queryset = queryset.prefetch_related("regions")
        rows = []
        for instance in queryset.select_related(
            *[f.name for f in fields if isinstance(f, models.ForeignKey) and f.name in USER_FIELDS]
        ):
            row = _row(instance, fields)
            if model in (Application, Component):
                row["regions"] = sorted(region.code for region in instance.regions.all())
            rows.append(row)
        document[name] = rows
        if name in HISTORY:
            document[f"{name}_history"] = _history(model, [row["id"] for row in rows])
    return document


def _history(model, ids: list[int]) -> list[dict]:
    historical = model.history.model
    fields = [
        f for f in historical._meta.concrete_fields if f.name not in ("history_id", "history_user")
    ]
    rows = []
    for record in (
        model.history.filter(id__in=ids)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    ):
        row = {f.attname: _plain(getattr(record, f.attname)) for f in fields}
        row["history_user"] = record.history_user.username if record.history_user else None
        rows.append(row)
    return rows


@transaction.atomic
def import_register(document: dict, *, name: str | None = None, slug: str | None = None) -> Team:
    """Restore a document as a new team; all or nothing."""
    version = document.get("schema_version")
    if not isinstance(version, int):
        raise RestoreError("Not a register backup: schema_version is missing.")
    if version > SCHEMA_VERSION:
        raise RestoreError(
            f"The backup has schema version {version}; this version of the register reads "
            f"up to {SCHEMA_VERSION}. Upgrade the register before restoring it."
        )
    name = name or document["team"]["name"]
    slug = slug or document["team"]["slug"]
    if Team.objects.filter(models.Q(name=name) | models.Q(slug=slug)).exists():
        raise RestoreError(
            f"A team named {name!r} or with slug {slug!r} exists; restore it under another "
            "name with --name and --slug."
        )
    team = Team.objects.create(name=name, slug=slug)
    users = {user.username: user for user in get_user_model().objects.all()}
    tiers = {tier.level: tier for tier in Tier.objects.all()}
    strategies = {strategy.code: strategy for strategy in DrStrategy.objects.all()}
    regions = {region.code: region for region in Region.objects.all()}
    ids: dict[str, dict[int, int]] = {}
    for section, model, references in SECTIONS:
        ids[section] = {}
        for row in document.get(section, []):
            values = {key: value for key, value in row.items() if key not in ("id", "regions")}
            for field, target in references.items():
                if values.get(field) is not None:
                    values[f"{field}_id"] = ids[target][values.pop(field)]
                else:
                    values.pop(field, None)
            for field in USER_FIELDS & set(values):
                values[field] = users.get(values[field]) if values[field] else None
            if "tier" in values:
                values["tier"] = _lookup(tiers, values["tier"], "tier level")
            if "dr_strategy" in values:
                values["dr_strategy"] = _lookup(strategies, values["dr_strategy"], "DR strategy")
            if any(f.name == "team" for f in model._meta.concrete_fields):
                values["team"] = team
            stamps = {
                key: values.pop(key) for key in ("created_at", "updated_at") if key in values
            }
            instance = model(**values)
            try:
                instance.full_clean()
            except ValidationError as exc:
                raise RestoreError(f"{section} row {row['id']}: {exc.message_dict}") from exc
            instance.save()
            if stamps:  # auto_now fields ignore given values on save; keep the originals
                model.objects.filter(pk=instance.pk).update(**stamps)
            if "regions" in row:
                instance.regions.set([_lookup(regions, code, "region") for code in row["regions"]])
            ids[section][row["id"]] = instance.pk
        if section in HISTORY:
            _restore_history(
                model, document.get(f"{section}_history", []), ids, users, references, team
            )
    request_recompute(team.pk)
    return team


def _lookup(table: dict, key, what: str):
    try:
        return table[key]
    except KeyError as exc:
        raise RestoreError(f"Unknown {what} {key!r}: load the reference data first.") from exc


def _restore_history(
    model, rows: list[dict], ids: dict, users: dict, references: dict, team: Team
) -> None:
    section = next(name for name, section_model, _ in SECTIONS if section_model is model)
    historical = model.history.model
    model.history.filter(id__in=ids[section].values()).delete()  # the rows just saved
    records = []
    for row in rows:
        values = dict(row)
        values["id"] = ids[section][values["id"]]
        mapped = {f"{field}_id": target for field, target in references.items()}
        for key in [key for key in values if key.endswith("_id")]:
            if key == "team_id":
                values[key] = team.pk
            elif key in mapped and values[key] is not None:
                values[key] = ids[mapped[key]].get(values[key])
            else:
                values[key] = None  # reference data and users differ between databases
        values["history_user"] = users.get(row["history_user"]) if row["history_user"] else None
        records.append(historical(**values))
    historical.objects.bulk_create(records)
