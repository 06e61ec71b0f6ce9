"""Reports and worksheet import speed (issue: reports and worksheets in and out).

- PDF report of 10,000 failure modes through the report task's function: time and peak
  memory (tracemalloc: Python allocations; ru_maxrss: the process). Targets: < 60 s,
  < 500 MB.
- CSV report of 1,000,000 failure modes through the report task's function versus
  `psql \\copy` of the same query into a file, as a ratio (target <= 2x).
- Import of a 50,000-row worksheet (CSV, sample layout) into an empty team (target
  < 60 s), and its dry run.

Needs PostgreSQL: DATABASE_URL=postgres://... The bench teams come from bench/data.py;
the 1,000,000-row team and the import team are made here (and kept, except the import
team, which is made anew on every run).
"""

import csv
import io
import os
import resource
import tempfile
import time
import tracemalloc

from bench.data import ensure_register, require_postgres, run_psql, setup_django, sql_of
from bench.results import record

FAILURE_MODES = int(os.environ.get("BENCH_FAILURE_MODES", "1000000"))
PDF_ROWS = int(os.environ.get("BENCH_PDF_ROWS", "10000"))
CSV_ROWS = int(os.environ.get("BENCH_CSV_ROWS", "1000000"))
IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "50000"))
CSV_RUNS = int(os.environ.get("BENCH_CSV_RUNS", "3"))
BIG_TEAM = "reports-bench-big"  # not "bench-…": bench/data.py owns those
IMPORT_TEAM = "reports-bench-import"


def main() -> None:
    setup_django()
    if not require_postgres():
        return
    ensure_register(failure_modes=FAILURE_MODES)
    bench_pdf()
    bench_csv()
    bench_import()


def delete_team(slug: str) -> None:
    """Delete a bench team. Deleting its rows marks the team for a recompute (recompute
    signals), which must not outlive the team itself."""
    from django.db import transaction

    from registry.models import Team, TeamRecompute

    with transaction.atomic():
        ids = list(Team.objects.filter(slug=slug).values_list("id", flat=True))
        Team.objects.filter(pk__in=ids).delete()
        TeamRecompute.objects.filter(team_id__in=ids).delete()


def new_run(team, format: str, **scope):
    from registry.models import ReportRun

    return ReportRun.objects.create(team=team, format=format, **scope)


def discard(run) -> None:
    if run.file:
        run.file.delete(save=False)
    run.delete()


def bench_pdf() -> None:
    from registry.models import Application, FailureMode, Team
    from registry.reports.tasks import generate_report_task

    team = Team.objects.get(slug="bench-1")
    applications, rows = [], 0
    for application in Application.objects.filter(team=team).order_by("id"):
        applications.append(application.pk)
        rows += FailureMode.objects.filter(step__application=application).count()
        if rows >= PDF_ROWS:
            break
    # Timed without tracemalloc (which slows every allocation), then measured with it.
    run = new_run(team, "pdf", applications=applications)
    started = time.perf_counter()
    outcome = generate_report_task(run.pk)
    elapsed = time.perf_counter() - started
    run.refresh_from_db()
    assert outcome == "done", run.error
    from pypdf import PdfReader

    with run.file.open("rb") as handle:
        pages = len(PdfReader(io.BytesIO(handle.read())).pages)
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows, size = run.row_count, run.file_size
    discard(run)

    run = new_run(team, "pdf", applications=applications)
    tracemalloc.start()
    generate_report_task(run.pk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    discard(run)
    record("reports", f"PDF of {rows:,} failure modes", elapsed, "s", target="< 60 s")
    record("reports", "PDF max RSS", max_rss, "MB", target="< 500 MB")
    print(
        f"  PDF of {rows:,} failure modes ({pages:,} pages, {size / 1e6:.1f} MB): "
        f"{elapsed:.1f} s (target < 60 s); peak Python memory {peak / 1e6:.0f} MB, "
        f"process max RSS {max_rss:.0f} MB (target < 500 MB)"
    )


def ensure_big_team(rows: int):
    """One team holding `rows` failure modes (1,000 applications of 5 steps)."""
    from django.db import connection, transaction

    from registry.models import FailureMode, Team

    team = Team.objects.filter(slug=BIG_TEAM).first()
    if team is not None and FailureMode.objects.filter(team=team).count() == rows:
        return team
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        delete_team(BIG_TEAM)
        team = Team.objects.create(name="Reports bench (big)", slug=BIG_TEAM)
        cursor.execute(
            """
            INSERT INTO registry_application
                (team_id, name, description, tier_id, dr_strategy_id, data_residency, owner,
                 created_at, updated_at)
            SELECT %s, 'Application ' || a, '',
                   (SELECT id FROM registry_tier ORDER BY level OFFSET (a %% 4) LIMIT 1),
                   (SELECT id FROM registry_drstrategy ORDER BY cost_rank LIMIT 1),
                   '', '', now(), now()
            FROM generate_series(1, 1000) a
            """,
            [team.pk],
        )
        cursor.execute(
            """
            INSERT INTO registry_step
                (application_id, "order", name, description, created_at, updated_at)
            SELECT app.id, s, 'Step ' || s, '', now(), now()
            FROM registry_application app CROSS JOIN generate_series(1, 5) s
            WHERE app.team_id = %s
            """,
            [team.pk],
        )
        cursor.execute(
            """
            WITH numbered AS (
                SELECT step.id AS step_id, row_number() OVER (ORDER BY step.id) - 1 AS n
                FROM registry_step step
                JOIN registry_application app ON app.id = step.application_id
                WHERE app.team_id = %s
            )
            INSERT INTO registry_failuremode
                (team_id, step_id, mode, effect, cause, failure_category,
                 prevention_controls, detection_controls, severity, probability, detectability,
                 status, version, created_at, updated_at)
            SELECT %s, numbered.step_id, 'Failure mode ' || f,
                   'Users cannot complete the step', 'Dependency fails', 'shared_fate',
                   'Redundancy', 'Alarm', 1 + f %% 10, 1 + (f / 10) %% 10, 1 + (f / 100) %% 10,
                   'open', 1, now(), now()
            FROM generate_series(0, %s - 1) f
            JOIN numbered ON numbered.n = f %% 5000
            """,
            [team.pk, team.pk, rows],
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE registry_failuremode")
    print(
        f"  generated {rows:,} failure modes in one team in {time.perf_counter() - started:.1f} s"
    )
    return team


def bench_csv() -> None:

    from registry.exports import export_rows
    from registry.reports.context import ROW_ORDER
    from registry.reports.scope import Scope
    from registry.reports.tasks import generate_report_task

    team = ensure_big_team(CSV_ROWS)

    def report() -> float:
        run = new_run(team, "csv")
        started = time.perf_counter()
        outcome = generate_report_task(run.pk)
        elapsed = time.perf_counter() - started
        run.refresh_from_db()
        assert outcome == "done" and run.row_count == CSV_ROWS, run.error
        report.size = run.file_size
        discard(run)
        return elapsed

    queryset = Scope(team_id=team.pk).failure_modes().order_by(*ROW_ORDER)
    sql = sql_of(export_rows(queryset))

    def psql() -> float:
        with tempfile.NamedTemporaryFile(suffix=".csv") as out:
            started = time.perf_counter()
            run_psql(f"\\copy ({sql}) to '{out.name}' csv header")
            return time.perf_counter() - started

    report()  # warm caches
    psql()
    task_seconds = sorted(report() for _ in range(CSV_RUNS))[CSV_RUNS // 2]
    psql_seconds = sorted(psql() for _ in range(CSV_RUNS))[CSV_RUNS // 2]
    record(
        "reports",
        f"CSV report of {CSV_ROWS:,} rows",
        task_seconds,
        "s",
        baseline=psql_seconds,
        target="<= 2x",
    )
    print(
        f"  CSV report of {CSV_ROWS:,} failure modes ({report.size / 1e6:.0f} MB): report task "
        f"{task_seconds:.1f} s, psql \\copy {psql_seconds:.1f} s, ratio "
        f"{task_seconds / psql_seconds:.2f}x (target <= 2x)"
    )


def worksheet_csv(rows: int) -> bytes:
    """A worksheet in the sample layout: 50 applications of 5 steps, 20 components."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "business_function",
            "application",
            "tier",
            "step",
            "component",
            "component_kind",
            "mode",
            "effect",
            "cause",
            "prevention_controls",
            "detection_controls",
            "severity",
            "probability",
            "detectability",
            "status",
            "action",
            "action_owner",
            "action_due",
        ]
    )
    kinds = ["service", "database", "queue", "storage", "network", "third_party"]
    for n in range(rows):
        app = n % 50
        has_action = n % 5 == 0
        writer.writerow(
            [
                f"Business function {app % 10}",
                f"Imported application {app}",
                1 + app % 4,
                f"Step {n // 50 % 5 + 1}",
                f"Component {n % 20}",
                kinds[(n % 20) % 6],
                f"Imported failure mode {n}",
                "Users cannot complete the step",
                "A dependency fails",
                "Redundancy",
                "Alarm",
                1 + n % 10,
                1 + (n // 10) % 10,
                1 + (n // 100) % 10,
                ["open", "mitigating", "accepted", "closed"][n % 4],
                f"Mitigate {n}" if has_action else "",
                "owner" if has_action else "",
                "2027-06-30" if has_action else "",
            ]
        )
    return out.getvalue().encode()


def bench_import() -> None:
    from registry.imports.service import import_worksheet
    from registry.models import FailureMode, Team

    data = worksheet_csv(IMPORT_ROWS)
    delete_team(IMPORT_TEAM)
    team = Team.objects.create(name="Reports bench (import)", slug=IMPORT_TEAM)

    started = time.perf_counter()
    checked = import_worksheet(team=team, user=None, data=data, dry_run=True)
    dry = time.perf_counter() - started
    assert checked.ok, checked.problems[:5]

    started = time.perf_counter()
    result = import_worksheet(team=team, user=None, data=data)
    elapsed = time.perf_counter() - started
    assert result.ok, result.problems[:5]
    assert FailureMode.objects.filter(team=team).count() == IMPORT_ROWS
    record("reports", f"import of {IMPORT_ROWS:,} rows", elapsed, "s", target="< 60 s")
    print(
        f"  import of a {IMPORT_ROWS:,}-row worksheet ({len(data) / 1e6:.1f} MB CSV): "
        f"{elapsed:.1f} s (target < 60 s); dry run {dry:.1f} s"
    )
    delete_team(IMPORT_TEAM)


if __name__ == "__main__":
    main()
