"""Evidence against ratings at the issue's scale.

On PostgreSQL with the bench register (BENCH_FAILURE_MODES failure modes over 10
teams, 1,000,000 by default) and BENCH_INCIDENTS incidents (100,000 by default, a fifth
of them linked to two failure modes, concentrated so that a failure mode with incidents
has several):
- the findings of every bench team with the incidents (evidence computed, contradicted
  ratings stored) against the same findings with no incident, as a ratio (target
  <= 1.5x).

Measured on 2 shared cores at the default scale (generation 138 s), 3 paired rounds:
6.1 s without incidents, 8.1 s with 100,000 (25,000 failure modes with evidence,
15,434 contradicted ratings), median ratio 1.19x (ratio of the medians 1.32x). Before
findings that did not change were left unwritten, one unpaired run: 23.7 s and 40.6 s
under heavy load, 1.71x.

The receivers' throughput is bench/receivers.py.
"""

import os
import statistics
import time

from bench.data import ensure_register, require_postgres, setup_django
from bench.results import record

FAILURE_MODES = int(os.environ.get("BENCH_FAILURE_MODES", "1000000"))
INCIDENTS = int(os.environ.get("BENCH_INCIDENTS", "100000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def clear_incidents(team_ids: list[int]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for links in ("registry_incident_failure_modes", "registry_incident_components"):
            cursor.execute(
                f"DELETE FROM {links} WHERE incident_id IN "
                "(SELECT id FROM registry_incident WHERE team_id = ANY(%s))",
                [team_ids],
            )
        cursor.execute("DELETE FROM registry_incident WHERE team_id = ANY(%s)", [team_ids])


def insert_incidents(team_ids: list[int], count: int) -> None:
    """`count` incidents over the last 400 days, detected 1 to 240 minutes after they
    started, each linked to a failure mode of its team (every fifth to two)."""
    from django.db import connection, transaction

    per_team = max(1, count // len(team_ids))
    # Each team's incidents fall on a quarter as many failure modes: about four each.
    spread = max(1, per_team // 4)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO registry_incident
                (team_id, title, started_at, detected_at, resolved_at, severity, source,
                 external_id, url, postmortem_url, created_at, updated_at)
            SELECT team_id, 'Bench incident ' || i, started,
                   started + make_interval(mins => 1 + (i * 13) %% 240),
                   started + make_interval(mins => 250 + (i * 17) %% 600),
                   'medium', 'manual', '', '', '', now(), now()
            FROM (
                SELECT i, (%s::int[])[1 + i %% %s] AS team_id,
                       now() - make_interval(secs => (i * 7919) %% (400 * 86400)) AS started
                FROM generate_series(0, %s - 1) i
            ) generated
            """,
            [team_ids, len(team_ids), count],
        )
        cursor.execute(
            """
            WITH fm AS (
                SELECT id, team_id, row_number() OVER (PARTITION BY team_id ORDER BY id) AS n
                FROM registry_failuremode WHERE team_id = ANY(%s)
            ), inc AS (
                SELECT id, team_id, row_number() OVER (PARTITION BY team_id ORDER BY id) AS k
                FROM registry_incident WHERE team_id = ANY(%s)
            )
            INSERT INTO registry_incident_failure_modes (incident_id, failuremode_id)
            -- Two equality joins (hash joins), not one join on an OR, which PostgreSQL
            -- can only run as a nested loop: 10^10 comparisons at the issue's scale.
            SELECT inc.id, fm.id FROM inc
            JOIN fm ON fm.team_id = inc.team_id AND fm.n = 1 + (inc.k * 37) %% %s
            UNION
            SELECT inc.id, fm.id FROM inc
            JOIN fm ON fm.team_id = inc.team_id AND fm.n = 1 + (inc.k * 37 + 1) %% %s
            WHERE inc.k %% 5 = 0
            """,
            [team_ids, team_ids, spread, spread],
        )
        cursor.execute("ANALYZE registry_incident")
        cursor.execute("ANALYZE registry_incident_failure_modes")


def main() -> None:
    setup_django()
    if not require_postgres():
        return

    from registry.analysis.evidence import failure_mode_evidence
    from registry.analysis.findings import refresh_findings
    from registry.models import Finding, Team

    ensure_register(failure_modes=FAILURE_MODES)
    team_ids = list(
        Team.objects.filter(slug__regex=r"^bench-[0-9]+$").values_list("id", flat=True)
    )

    def findings_of_all() -> float:
        return timed(lambda: [refresh_findings(team_id) for team_id in team_ids])

    # Paired rounds, without then with the incidents, so that a machine whose load
    # changes during the run weighs on both sides alike; medians of the rounds.
    pairs = []
    for _ in range(ROUNDS):
        clear_incidents(team_ids)
        findings_of_all()  # settle: the resolved findings are deleted once
        without = findings_of_all()
        insert_incidents(team_ids, INCIDENTS)
        findings_of_all()  # settle: the contradicted ratings are written once
        pairs.append((without, findings_of_all()))
        print(f"  round: {pairs[-1][0]:.2f} s without, {pairs[-1][1]:.2f} s with", flush=True)
    without = statistics.median(pair[0] for pair in pairs)
    with_incidents = statistics.median(pair[1] for pair in pairs)
    ratio = statistics.median(pair[1] / pair[0] for pair in pairs)
    evidence_rows = sum(len(failure_mode_evidence(team_id)) for team_id in team_ids)
    contradicted = Finding.objects.filter(
        team_id__in=team_ids,
        kind__in=["probability_contradicted", "detectability_contradicted"],
    ).count()
    print(
        f"  findings of {len(team_ids)} teams ({FAILURE_MODES:,} failure modes): "
        f"{without:.2f} s without incidents, {with_incidents:.2f} s with {INCIDENTS:,} "
        f"({evidence_rows:,} failure modes with evidence, {contradicted:,} contradicted "
        f"ratings); median ratio of {ROUNDS} paired rounds {ratio:.2f}x (target <= 1.5x)"
    )
    record(
        "evidence",
        f"findings with {INCIDENTS:,} incidents",
        with_incidents,
        "s",
        baseline=without,
        target="<= 1.5x",
    )


if __name__ == "__main__":
    main()
