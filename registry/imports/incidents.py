"""Importing past incidents from a CSV or XLSX file: all rows or none.

The same reading (size and row limits, formulas refused) and the same row-level
problems as worksheet imports. Columns: title and started_at (required); detected_at,
resolved_at (ISO 8601; a time without an offset is UTC), severity, source (manual by
default), external_id (unique per team and source, in the file and in the register),
url, postmortem_url, data_lost_seconds; components (names, separated by “;”) and
failure_modes (ids, separated by “;”) of the team.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.dateparse import parse_datetime

from registry.choices import IncidentSeverity, IncidentSource
from registry.columns import header_key
from registry.imports.reading import Refused, read_table
from registry.imports.service import ImportResult, failed
from registry.imports.validation import Problem, RowReader, vocabulary
from registry.models import Component, FailureMode, Incident, Team
from registry.models.incidents import INCIDENT_FIELDS

REQUIRED = ("title", "started_at")
OPTIONAL = tuple(name for name in INCIDENT_FIELDS if name not in REQUIRED)
COLUMNS = (*REQUIRED, *OPTIONAL)


def read_header(cells: list) -> tuple[dict[str, int], list[Problem]]:
    columns: dict[str, int] = {}
    unknown = []
    for index, cell in enumerate(cells):
        key = header_key(cell)
        if key in COLUMNS and key not in columns:
            columns[key] = index
        elif cell not in (None, ""):
            unknown.append(str(cell).strip())
    problems = []
    expected = f"Required columns: {', '.join(REQUIRED)}. Optional: {', '.join(OPTIONAL)}."
    if unknown:
        problems.append(Problem(1, ", ".join(unknown), f"Unknown columns. {expected}"))
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        problems.append(Problem(1, ", ".join(missing), f"Missing columns. {expected}"))
    return columns, problems


def moment(reader: RowReader, column: str, *, required: bool = False):
    value = reader.raw(column)
    if value in (None, ""):
        if required:
            reader.problem(column, f"Required: give the {column.replace('_', ' ')}.")
        return None
    parsed = value if isinstance(value, datetime.datetime) else parse_datetime(str(value).strip())
    if parsed is None:
        reader.problem(column, f"{value!r} is not a time: write it as 2026-11-02T10:00:00Z.")
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def import_incidents(*, team: Team, user, data: bytes, dry_run: bool = False) -> ImportResult:
    """Check every row of the file and, unless `dry_run` or any problem, record them."""
    try:
        table = read_table(data)
    except Refused as exc:
        return failed([Problem(None, None, str(exc))], dry_run)
    columns, problems = read_header(table.header)
    if problems:
        return failed(problems, dry_run)
    components = {
        name: pk
        for pk, name in Component.objects.for_team(team.pk)
        .annotate(folded=Lower("name"))
        .values_list("pk", "folded")
    }
    failure_modes = set(FailureMode.objects.for_team(team.pk).values_list("pk", flat=True))
    taken = {
        (source, external_id)
        for source, external_id in Incident.objects.for_team(team.pk)
        .exclude(external_id="")
        .values_list("source", "external_id")
    }
    severities, sources = vocabulary(IncidentSeverity.choices), vocabulary(IncidentSource.choices)
    planned: list[tuple[Incident, list[int], list[int]]] = []
    for index, cells in enumerate(table.rows):
        number = index + 2
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells):
            continue
        reader = RowReader(cells, columns, number, csv=table.format == "csv")
        incident = Incident(
            team=team,
            title=reader.text("title", required=True, max_length=300),
            started_at=moment(reader, "started_at", required=True),
            detected_at=moment(reader, "detected_at"),
            resolved_at=moment(reader, "resolved_at"),
            severity=reader.choice("severity", severities, IncidentSeverity.MEDIUM),
            source=reader.choice("source", sources, IncidentSource.MANUAL),
            external_id=reader.text("external_id", max_length=200),
            url=reader.text("url", max_length=500),
            postmortem_url=reader.text("postmortem_url", max_length=500),
            data_lost_seconds=reader.integer("data_lost_seconds", required=False),
        )
        names = [n.strip() for n in reader.text("components").split(";") if n.strip()]
        unknown = [name for name in names if name.casefold() not in components]
        if unknown:
            reader.problem("components", f"No component {', '.join(unknown)} in your team.")
        ids = [n.strip() for n in reader.text("failure_modes").split(";") if n.strip()]
        bad = [i for i in ids if not i.isdigit() or int(i) not in failure_modes]
        if bad:
            reader.problem("failure_modes", f"No failure mode {', '.join(bad)} in your team.")
        if incident.external_id:
            key = (incident.source, incident.external_id)
            if key in taken:
                reader.problem("external_id", "Already recorded from this source (or above).")
            taken.add(key)
        if incident.started_at is not None and not reader.problems:
            try:
                incident.clean_fields(exclude=["team"])
                errors = incident.time_errors()
                if errors:
                    raise ValidationError(errors)
            except ValidationError as error:
                for column, messages in error.message_dict.items():
                    reader.problem(column, " ".join(messages))
        problems += reader.problems
        if not reader.problems:
            planned.append(
                (incident, [components[n.casefold()] for n in names], [int(i) for i in ids])
            )
    if problems:
        return failed(problems, dry_run, len(table.rows))
    summary = {"incidents": len(planned)}
    if not dry_run:
        with transaction.atomic():
            for incident, component_ids, failure_mode_ids in planned:
                incident._history_user = user
                incident.save()
                incident.components.set(component_ids)
                incident.failure_modes.set(failure_mode_ids)
    return ImportResult(ok=True, dry_run=dry_run, row_count=len(planned), summary=summary)
