"""Rollup and finding recompute against the bare GROUP BY (issue: Celery rollups).

On PostgreSQL with the bench register (1,000,000 failure modes over 10 teams, 1,000
applications, 5,000 steps, a dependency tree per step):
- one team's rollups (refresh_rollups) versus the bare failure-mode GROUP BY query of
  that team run through psql, as a ratio (target <= 1.5x);
- one team's findings, and all teams' findings and rollups (target: findings of all
  teams under 10 s).
"""

import os
import time

from bench.data import ensure_register, require_postgres, run_psql, setup_django, sql_of
from bench.results import record

FAILURE_MODES = int(os.environ.get("BENCH_FAILURE_MODES", "1000000"))


def timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def best_of(work, runs: int = 3) -> float:
    return min(timed(work) for _ in range(runs))


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
    team_ids = list(Team.objects.filter(slug__startswith="bench-").values_list("id", flat=True))

    # The bare GROUP BY: the failure-mode aggregate the rollup is built from.
    queryset = FailureMode.objects.filter(team_id=team.pk).with_figures(
        app=F("step__application"), tier=F("step__application__tier")
    )
    sql = sql_of(queryset)
    bare = best_of(lambda: run_psql(sql))
    refresh_findings(team.pk)
    rollup = best_of(lambda: rollups.refresh_rollups(team.pk))
    team_rows = FailureMode.objects.filter(team=team).count()
    print(
        f"  rollups of one team ({team_rows:,} failure modes): {rollup:.2f} s; bare GROUP BY "
        f"through psql {bare:.2f} s; ratio {rollup / bare:.2f}x (target <= 1.5x)"
    )

    record("rollups", "rollups of one team", rollup, "s", baseline=bare, target="<= 1.5x")
    one = best_of(lambda: refresh_findings(team.pk), runs=2)
    print(
        f"  findings of one team: {one:.2f} s "
        f"({Finding.objects.filter(team=team).count():,} findings)"
    )
    findings_all = timed(lambda: [refresh_findings(team_id) for team_id in team_ids])
    print(
        f"  findings of all {len(team_ids)} teams: {findings_all:.2f} s "
        f"({Finding.objects.filter(team_id__in=team_ids).count():,} findings; target < 10 s)"
    )
    record("rollups", f"findings of {len(team_ids)} teams", findings_all, "s", target="< 10 s")
    everything = timed(lambda: [rollups.recompute_team(team_id) for team_id in team_ids])
    print(f"  recompute (findings and rollups) of all teams: {everything:.2f} s")
    record("rollups", "recompute of all teams", everything, "s")


if __name__ == "__main__":
    main()
