"""Rollup and finding recompute against the bare GROUP BY (issue: Celery rollups).

On PostgreSQL with the bench register (1,000,000 failure modes over 10 teams, 1,000
applications, 5,000 steps, a dependency tree per step):
- one team's rollups (refresh_rollups) versus the bare failure-mode GROUP BY query of
  that team run through psql, in interleaved rounds, as the ratio of their medians
  (target <= 1.2x);
- one team's findings, and all teams' findings: the first pass, on a fresh register
  (the teams' findings deleted, and the table vacuumed and analysed as autovacuum would
  after that), and the steady state, the same recompute again (target: each under 10 s);
- the recompute (findings and rollups) of all teams.

Where the first pass of all teams' findings goes (346,355 findings; PostgreSQL backend
CPU by perf, 17.5 s at load 2.4; Python 2.2-2.6 s CPU beside it):
- 52 %: the foreign-key checks, run at commit (registry_finding's six keys are deferred):
  one SELECT ... FOR KEY SHARE per row and key that is set, 3.4-5.7 us each (EXPLAIN
  ANALYZE with the checks immediate), the failure mode's the dearest since its first
  lock writes the failure mode's page; immediate checks cost no less;
- 21 %: index upkeep, per row: the unique (team, key) 1.8 us, the primary key and the
  application 1.4, the failure mode 1.1, (team, kind) 1.0, the step 0.9 (each index on
  its own over a copy of the findings, medians of 3 rounds); the tier's 1.0 us went
  with its index (no query used it);
- the rest: the rules' SELECTs (the steady state's work too), their text and JSON, and
  the heap inserts.
Per statement (load 2.4): commit 8.6 s, unmitigated_high_risk 3.5 s, management review
2.0 s, the structural findings 0.5 s, the others under 0.2 s.

The first pass, old and new code in 2 interleaved rounds at load 1.1-1.4: before the
shallow records and the tier index's removal 15.55 and 15.81 s (Python 1.92 and 2.28 s
CPU, PostgreSQL 12.66 and 13.22 s); after, 12.89 and 14.20 s (Python 1.30 and 1.49 s,
PostgreSQL 11.29 and 12.39 s); the steady state unchanged, 4.6-5.4 s. On the quiet
machine the first pass took 14.17 s before: the foreign-key checks alone are about 6 s
of it, so under 10 s needs fewer checks than one per row and key, not a cheaper
statement.

Each key's share, measured 2026-12-04 by dropping the keys one after another on a copy
of the bench register (first pass, medians of 2 rounds): all six kept 12.0 s; without
the tier's and the team's 9.84 s; also without the step's and the application's
7.39 s; also without the failure mode's 5.72 s. Inserting the failure modes' findings
in failure-mode order (so that the checks lock the failure modes' pages in turn) made
no difference: 12.18, 12.11, 12.38 s plain against 11.75, 12.37, 12.39 s ordered.
"""

import os
import statistics
import time

from bench.data import ensure_register, require_postgres, run_psql, setup_django, sql_of
from bench.results import record

FAILURE_MODES = int(os.environ.get("BENCH_FAILURE_MODES", "1000000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
FINDINGS_ROUNDS = int(os.environ.get("BENCH_FINDINGS_ROUNDS", "2"))


def timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def fresh_findings(team_ids: list[int]) -> None:
    """The teams' findings gone, as in a register that has never been recomputed."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM registry_finding WHERE team_id = ANY(%s)", [team_ids])
        cursor.execute("VACUUM ANALYZE registry_finding")


def main() -> None:
    setup_django()
    if not require_postgres():
        return

    from django.db.models import F

    from registry.analysis import rollups
    from registry.analysis.findings import refresh_findings
    from registry.models import FailureMode, Finding, Team

    ensure_register(failure_modes=FAILURE_MODES)
    team = Team.objects.get(slug="bench-1")
    bench_teams = Team.objects.filter(slug__regex=r"^bench-[0-9]+$")
    team_ids = list(bench_teams.values_list("id", flat=True))

    # The bare GROUP BY: the failure-mode aggregate the rollup is built from.
    queryset = FailureMode.objects.filter(team_id=team.pk).with_figures(
        app=F("step__application"), tier=F("step__application__tier")
    )
    sql = sql_of(queryset)
    refresh_findings(team.pk)
    rollups.refresh_rollups(team.pk)  # settle: the first run writes every rollup row
    bare_times, rollup_times = [], []
    for _ in range(ROUNDS):
        bare_times.append(timed(lambda: run_psql(sql)))
        rollup_times.append(timed(lambda: rollups.refresh_rollups(team.pk)))
    bare, rollup = statistics.median(bare_times), statistics.median(rollup_times)
    team_rows = FailureMode.objects.filter(team=team).count()
    print(
        f"  rollups of one team ({team_rows:,} failure modes): {rollup:.3f} s; bare GROUP BY "
        f"through psql {bare:.3f} s (medians of {ROUNDS} interleaved rounds); "
        f"ratio {rollup / bare:.2f}x (target <= 1.2x)"
    )
    record("rollups", "rollups of one team", rollup, "s", baseline=bare, target="<= 1.2x")

    def findings_of_all() -> float:
        return timed(lambda: [refresh_findings(team_id) for team_id in team_ids])

    first_times, steady_times = [], []
    for _ in range(FINDINGS_ROUNDS):
        fresh_findings(team_ids)
        first_times.append(findings_of_all())
        steady_times.append(findings_of_all())
    one = statistics.median(timed(lambda: refresh_findings(team.pk)) for _ in range(3))
    print(
        f"  findings of one team: {one:.2f} s "
        f"({Finding.objects.filter(team=team).count():,} findings)"
    )
    first, steady = statistics.median(first_times), statistics.median(steady_times)
    count = Finding.objects.filter(team_id__in=team_ids).count()
    print(
        f"  findings of all {len(team_ids)} teams ({count:,} findings; medians of "
        f"{FINDINGS_ROUNDS} rounds): first pass {first:.2f} s "
        f"({', '.join(f'{t:.2f}' for t in first_times)}), steady state {steady:.2f} s "
        f"({', '.join(f'{t:.2f}' for t in steady_times)}); target < 10 s each"
    )
    teams = f"{len(team_ids)} teams"
    record("rollups", f"findings of {teams}, first pass", first, "s", target="< 10 s")
    record("rollups", f"findings of {teams}, steady state", steady, "s", target="< 10 s")
    everything = timed(lambda: [rollups.recompute_team(team_id) for team_id in team_ids])
    print(f"  recompute (findings and rollups) of all teams: {everything:.2f} s")
    record("rollups", "recompute of all teams", everything, "s")


if __name__ == "__main__":
    main()
