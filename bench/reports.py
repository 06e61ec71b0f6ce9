"""Reports and worksheet import speed (issue: reports and worksheets in and out).

- PDF report of 10,000 failure modes through the report task's function: time and peak
  memory (tracemalloc: Python allocations; ru_maxrss: the process). Targets: < 60 s,
  < 500 MB.
- XLSX report of 10,000 failure modes through the report task's function (target
  <= 1.0 s) versus openpyxl's write-only mode writing the same rows, already fetched,
  into a workbook of one sheet, as a ratio; runs in turns, medians.
- CSV report of 1,000,000 failure modes through the report task's function versus
  `psql \\copy` of the same query into a file, as a ratio (target <= 2x).
- Import of a 50,000-row worksheet (CSV, sample layout) into an empty team (target
  < 60 s), and its dry run.

Needs PostgreSQL: DATABASE_URL=postgres://... The bench teams come from bench/data.py;
the 1,000,000-row team and the import team are made here (and kept, except the import
team, which is made anew on every run). BENCH_REPORTS=xlsx (or pdf, csv, import, or
several, comma-separated) runs only those parts: the XLSX figure alone needs neither the
1,000,000-row team nor a PDF.

XLSX, measured 2026-12-04 on the 2 shared cores (load average 6-9 from other work, so
wall-clock times ran 1.5-4x the CPU time): the report task 1.18 s of CPU against 1.31 s
before XlsxWriter's typed writes and the actions' array parameter (time.process_time,
medians of 5 turns of 3 runs, old and new code alternating); openpyxl write-only writing
the same rows 1.15 s. Of the task's CPU, XlsxWriter writing the Worksheet's 180,000
cells takes ~0.8 s (its own per-cell XML, escaping and dispatch), the zip ~0.1 s,
reading the rows ~0.08 s (0.18 s before), shaping them ~0.03 s and the five other sheets
~0.1 s; the database adds ~0.1 s of wall time for the rows and ~0.1 s for the summary's
figures. The 1.0 s target is out of reach with XlsxWriter on this machine: its writing
alone is ~0.8 s.

Of the task's wall time beyond its CPU (~0.44 s, 35 queries, 2026-12-04), the rows query
was 200-300 ms: the report's applications filtered the failure modes through a join, so
PostgreSQL read all 100,000 of the team's and dropped the other steps'. As a subquery
of the applications' steps it takes 206 ms against 300 (best of 5), 66 against 155
without the region columns, whose per-row subqueries are the rest. Task 1.57 s wall,
1.13 s CPU before (openpyxl 1.10 s); 1.51 s and 1.12 s after (openpyxl 1.07 s).
"""

import csv
import io
import os
import resource
import statistics
import tempfile
import time
import tracemalloc

from bench.data import (
    delete_team,
    ensure_register,
    ensure_team,
    require_postgres,
    run_psql,
    setup_django,
    sql_of,
)
from bench.results import record

FAILURE_MODES = int(os.environ.get("BENCH_FAILURE_MODES", "1000000"))
PDF_ROWS = int(os.environ.get("BENCH_PDF_ROWS", "10000"))
XLSX_ROWS = int(os.environ.get("BENCH_XLSX_ROWS", "10000"))
XLSX_RUNS = int(os.environ.get("BENCH_XLSX_RUNS", "7"))
CSV_ROWS = int(os.environ.get("BENCH_CSV_ROWS", "1000000"))
IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "50000"))
CSV_RUNS = int(os.environ.get("BENCH_CSV_RUNS", "3"))
PARTS = os.environ.get("BENCH_REPORTS", "pdf,xlsx,csv,import").split(",")
BIG_TEAM = "reports-bench-big"  # not "bench-…": bench/data.py owns those
IMPORT_TEAM = "reports-bench-import"


def main() -> None:
    setup_django()
    if not require_postgres():
        return
    ensure_register(failure_modes=FAILURE_MODES)
    parts = {"pdf": bench_pdf, "xlsx": bench_xlsx, "csv": bench_csv, "import": bench_import}
    for name, bench in parts.items():
        if name in PARTS:
            bench()


def new_run(team, format: str, **scope):
    from registry.models import ReportRun

    return ReportRun.objects.create(team=team, format=format, **scope)


def discard(run) -> None:
    if run.file:
        run.file.delete(save=False)
    run.delete()


def applications_holding(team, rows: int) -> list[int]:
    """The first applications of the team that hold at least `rows` failure modes."""
    from registry.models import Application, FailureMode

    applications, held = [], 0
    for application in Application.objects.filter(team=team).order_by("id"):
        applications.append(application.pk)
        held += FailureMode.objects.filter(step__application=application).count()
        if held >= rows:
            break
    return applications


def bench_pdf() -> None:
    from registry.models import Team
    from registry.reports.tasks import generate_report_task

    team = Team.objects.get(slug="bench-1")
    applications = applications_holding(team, PDF_ROWS)
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


class Clock:
    """Wall-clock and CPU seconds (time.process_time: this process alone, so less moved
    by other work on shared cores) of what runs inside `with`."""

    def __enter__(self) -> "Clock":
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def timed_in_turns(jobs, runs: int) -> list[tuple[float, float]]:
    """Median (wall, CPU) seconds of each job, which returns the Clock of its timed part;
    the jobs run in turns after a warm-up, so that all see the same moments of a machine
    whose speed drifts."""
    for job in jobs:
        job()
    clocks = [[job() for job in jobs] for _ in range(runs)]
    return [
        (
            statistics.median(turn[index].wall for turn in clocks),
            statistics.median(turn[index].cpu for turn in clocks),
        )
        for index in range(len(jobs))
    ]


def bench_xlsx() -> None:
    from openpyxl import Workbook

    from registry.models import Team
    from registry.reports import data
    from registry.reports.scope import Scope
    from registry.reports.tasks import generate_report_task
    from registry.reports.writers.xlsx import WORKSHEET_COLUMNS

    team = Team.objects.get(slug="bench-1")
    applications = applications_holding(team, XLSX_ROWS)

    def report() -> Clock:
        """The report task's function alone: making and deleting the run are not timed."""
        run = new_run(team, "xlsx", applications=applications)
        with Clock() as clock:
            outcome = generate_report_task(run.pk)
        run.refresh_from_db()
        assert outcome == "done", run.error
        report.rows, report.size = run.row_count, run.file_size
        discard(run)
        return clock

    # The worksheet's rows as the report writes them (actions as their text), fetched
    # before the clock starts: the baseline is the writing alone.
    failure_modes = Scope(team_id=team.pk, applications=tuple(applications)).failure_modes()
    rows = [
        [
            "\n".join(map(data.action_text, row[key])) if key == "actions" else row[key]
            for _, _, key in WORKSHEET_COLUMNS
        ]
        for row in data.worksheet_rows(failure_modes)
    ]

    def openpyxl_write_only() -> Clock:
        with Clock() as clock, tempfile.TemporaryFile() as out:
            workbook = Workbook(write_only=True)
            sheet = workbook.create_sheet("Worksheet")
            for values in rows:
                sheet.append(values)
            workbook.save(out)
        return clock

    (task, task_cpu), (baseline, baseline_cpu) = timed_in_turns(
        [report, openpyxl_write_only], XLSX_RUNS
    )
    record(
        "reports",
        f"XLSX report of {report.rows:,} failure modes",
        task,
        "s",
        baseline=baseline,
        target="<= 1.0 s",
    )
    record(
        "reports",
        f"XLSX report of {report.rows:,} failure modes, CPU",
        task_cpu,
        "s",
        baseline=baseline_cpu,
        target="<= 1.0 s",
    )
    print(
        f"  XLSX report of {report.rows:,} failure modes ({report.size / 1e6:.1f} MB): report "
        f"task {task:.2f} s, CPU {task_cpu:.2f} s (target <= 1.0 s); openpyxl write-only "
        f"writing the same {len(rows):,} rows {baseline:.2f} s, CPU {baseline_cpu:.2f} s; "
        f"ratio {task / baseline:.2f}x, CPU {task_cpu / baseline_cpu:.2f}x (medians of "
        f"{XLSX_RUNS} runs in turns; load average {os.getloadavg()[0]:.1f})"
    )


def bench_csv() -> None:

    from registry.exports import export_rows
    from registry.reports.context import ROW_ORDER
    from registry.reports.scope import Scope
    from registry.reports.tasks import generate_report_task

    team = ensure_team(BIG_TEAM, "Reports bench (big)", CSV_ROWS)

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
