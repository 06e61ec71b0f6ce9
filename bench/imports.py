"""Worksheet import: updating rows from an edited export versus creating them.

A worksheet of IMPORT_ROWS new rows (the layout of bench/reports.py) is imported into
an empty team; the team is then exported (`registry.exports`, with ids and versions),
every row's severity is changed as someone editing the file in a spreadsheet would,
and the file is imported back: the update import's time over the create import's, as
a ratio (target <= 1.5x). Runs on the configured database, SQLite or PostgreSQL.

    BENCH_UPDATE_ROWS=10000 python -m bench imports
"""

import csv
import io
import os
import time

from bench.data import setup_django
from bench.results import record

ROWS = int(os.environ.get("BENCH_UPDATE_ROWS", "50000"))
TEAM = "imports-bench"


def main() -> None:
    setup_django()
    from django.db import connection

    from bench.reports import delete_team, worksheet_csv
    from registry.exports import stream_csv
    from registry.imports.service import import_worksheet
    from registry.models import FailureMode, Team

    delete_team(TEAM)
    team = Team.objects.create(name="Imports bench", slug=TEAM)
    data = worksheet_csv(ROWS)
    started = time.perf_counter()
    created = import_worksheet(team=team, user=None, data=data)
    create_seconds = time.perf_counter() - started
    assert created.ok, created.problems[:5]

    exported = b"".join(stream_csv(FailureMode.objects.filter(team=team).order_by("id")))
    rows = list(csv.reader(io.StringIO(exported.decode())))
    severity = rows[0].index("severity")
    for row in rows[1:]:
        row[severity] = str(int(row[severity]) % 10 + 1)
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    edited = out.getvalue().encode()

    started = time.perf_counter()
    updated = import_worksheet(team=team, user=None, data=edited)
    update_seconds = time.perf_counter() - started
    assert updated.ok, updated.problems[:5]
    assert updated.summary["failure_modes"]["updated"] == ROWS
    assert not FailureMode.objects.filter(team=team, version=1).exists()
    ratio = update_seconds / create_seconds
    record(
        "imports",
        f"update import of {ROWS:,} rows ({connection.vendor})",
        update_seconds,
        "s",
        baseline=create_seconds,
        target="<= 1.5x of creating them",
    )
    print(
        f"  {connection.vendor}: creating {ROWS:,} rows {create_seconds:.1f} s, updating "
        f"them from the edited export {update_seconds:.1f} s, ratio {ratio:.2f}x "
        "(target <= 1.5x)"
    )
    delete_team(TEAM)


if __name__ == "__main__":
    main()
