"""Trigram indexes for the failure-mode text search on PostgreSQL.

`?q=` matches mode, effect and cause with `icontains`, which Django writes as
`UPPER(column::text) LIKE UPPER('%...%')`: a B-tree cannot serve a leading wildcard,
so without these a search reads every failure mode of the team. The index expressions
match Django's SQL exactly so that the planner uses them. SQLite has no trigram index
and keeps scanning, which is fine at its sizes.
"""

from django.db import migrations

COLUMNS = ("mode", "effect", "cause")


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension: the database owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS registry_fm_{column}_trgm "
            f'ON registry_failuremode USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )
    # Statistics of the new expressions, so that a search with a small LIMIT is planned
    # from the trigram indexes rather than by walking the RPN index row after row.
    schema_editor.execute("ANALYZE registry_failuremode")


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS registry_fm_{column}_trgm")


class Migration(migrations.Migration):
    # CONCURRENTLY builds the indexes without blocking writes to a large register, and
    # cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("registry", "0005_reportrun_claim"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
