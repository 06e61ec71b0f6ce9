"""Many rows written with one statement: updated, one statement per batch, each row
to its own values (`update_versioned`); inserted or upserted as one JSON document
(`json_insert_sql`, `upsert_rows`).

Django's `bulk_update()` builds a `CASE WHEN id = … THEN …` per field and row, whose
expressions it resolves in Python: for 5,000 failure modes it takes five times as long
as inserting them. Here the values travel as a table (`UPDATE … FROM (VALUES …) AS v`,
whose columns both SQLite (3.33+) and PostgreSQL name column1, column2, …), and the
versions are checked in the same statement. (A `WITH v (…) AS (VALUES …)` prefix would
name them, but Python's sqlite3 then reports no row count.)
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection, models


class ChangedSinceRead(Exception):
    """A row's version moved between the read and the update."""


def update_versioned(
    model: type[models.Model], instances: Sequence[models.Model], names: Sequence[str]
) -> None:
    """Write `names` of each instance, whose `version` is already one past the stored
    one: rows whose stored version is not `version - 1` are not written, and any such
    row raises ChangedSinceRead (the caller's transaction then writes nothing)."""
    if not instances:
        return
    fields = [model._meta.get_field(name) for name in names if name != "version"]
    per_row = 2 + len(fields)  # id, version, the fields
    limit = connection.features.max_query_params or 30000
    batch = max(1, min(2000, limit // per_row))
    table = connection.ops.quote_name(model._meta.db_table)
    quote = connection.ops.quote_name
    postgres = connection.vendor == "postgresql"

    def value(index: int, field: models.Field | None = None) -> str:
        column = f"v.column{index + 1}"
        # PostgreSQL types a VALUES column from its values; a column of NULLs is text.
        return (
            f"CAST({column} AS {field.cast_db_type(connection)})" if postgres and field else column
        )

    assignments = ", ".join(
        [f"{quote('version')} = {value(1)}"]
        + [
            f"{quote(field.column)} = {value(index + 2, field)}"
            for index, field in enumerate(fields)
        ]
    )
    with connection.cursor() as cursor:
        for start in range(0, len(instances), batch):
            chunk = instances[start : start + batch]
            params: list = []
            for instance in chunk:
                params += [instance.pk, instance.version]
                params += [
                    field.get_db_prep_save(getattr(instance, field.attname), connection)
                    for field in fields
                ]
            rows = ", ".join(["(" + ", ".join(["%s"] * per_row) + ")"] * len(chunk))
            sql = (
                f"UPDATE {table} SET {assignments} FROM (VALUES {rows}) AS v "
                f"WHERE {table}.{quote('id')} = {value(0)} "
                f"AND {table}.{quote('version')} = {value(1)} - 1"
            )
            cursor.execute(sql, params)
            if cursor.rowcount != len(chunk):
                raise ChangedSinceRead(
                    f"{len(chunk) - cursor.rowcount} of {len(chunk)} rows changed meanwhile."
                )


def json_insert_sql(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[dict],
    constants: dict,
    *,
    unique_fields: Sequence[str] = (),
    update_fields: Sequence[str] = (),
) -> tuple[str, list]:
    """A PostgreSQL INSERT of `rows` (dicts of `columns`, attribute names of `model`'s
    fields, to JSON values), each with `constants` (attribute name to value); with
    `unique_fields`, a row that matches a stored row's updates that row's
    `update_fields` instead. The rows travel as one JSON document read by
    jsonb_to_recordset: one parameter whatever their count, and no value quoted one by
    one in Python."""
    fields = {field.attname: field for field in model._meta.concrete_fields}
    quote = connection.ops.quote_name

    def column(name: str) -> str:
        field = fields.get(name) or model._meta.get_field(name)
        return quote(field.column)

    def typed(name: str) -> str:
        return fields[name].cast_db_type(connection)

    record = ", ".join(f"{column(name)} {typed(name)}" for name in columns)
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(column(name) for name in [*constants, *columns])}) "
        f"SELECT {', '.join([*(f'%s::{typed(name)}' for name in constants), 'given.*'])} "
        f"FROM jsonb_to_recordset(%s::jsonb) AS given({record})"
    )
    if unique_fields:
        updates = ", ".join(f"{column(name)} = excluded.{column(name)}" for name in update_fields)
        sql += (
            f" ON CONFLICT ({', '.join(column(name) for name in unique_fields)}) "
            f"DO UPDATE SET {updates}"
        )
    document = json.dumps([{name: row[name] for name in columns} for row in rows])
    return sql, [*constants.values(), document]


def upsert_rows(
    model: type[models.Model],
    rows: Sequence[dict],
    constants: dict,
    *,
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
) -> None:
    """Insert `rows` (dicts of attribute names to JSON values, all with the same keys),
    each with `constants`; a row whose `unique_fields` match a stored row's updates that
    row's `update_fields` instead. One statement on PostgreSQL (`json_insert_sql`),
    reading nothing back; bulk_create elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            [model(**constants, **row) for row in rows],
            update_conflicts=True,
            unique_fields=unique_fields,
            update_fields=update_fields,
        )
        return
    sql, params = json_insert_sql(
        model,
        list(rows[0]),
        rows,
        constants,
        unique_fields=unique_fields,
        update_fields=update_fields,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def insert_if_new(instance: models.Model) -> bool:
    """INSERT the unsaved instance unless a row with the same unique key exists
    (`ON CONFLICT DO NOTHING … RETURNING id`, on SQLite 3.35+ and PostgreSQL): True and
    the pk set when it was inserted, False when the key was taken, by an earlier row
    or by a transaction that committed meanwhile. One statement instead of a read, then
    an insert that could still race another writer."""
    model = type(instance)
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    params = [
        field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields
    ]
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT DO NOTHING RETURNING {quote(model._meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    instance.pk = row[0]
    instance._state.adding = False
    return True
