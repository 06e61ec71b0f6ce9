"""Synthetic registers for benchmarks, generated inside PostgreSQL with
generate_series so that a million failure modes take seconds, not hours.

Not a benchmark itself: `make bench` skips modules without a `main()`.
"""

import os
import time

import django


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fmea.settings")
    os.environ.setdefault("DEBUG", "1")
    django.setup()


def require_postgres() -> bool:
    from django.db import connection

    if connection.vendor != "postgresql":
        print("  skipped: needs PostgreSQL (set DATABASE_URL=postgres://...)")
        return False
    return True


def sql_of(queryset) -> str:
    """A queryset's SQL with its parameters inlined, on one line (for psql)."""
    from django.db import connection

    with connection.cursor() as cursor:
        sql = cursor.mogrify(*queryset.query.sql_with_params())
    return " ".join((sql.decode() if isinstance(sql, bytes) else sql).split())


def run_psql(command: str, *, output: str = "/dev/null") -> None:
    """Run one psql command against the benchmark's database: the baseline of a figure."""
    import subprocess

    from django.db import connection

    settings = connection.settings_dict
    subprocess.run(
        [
            "psql",
            "-h",
            settings["HOST"] or "127.0.0.1",
            "-p",
            str(settings["PORT"] or 5432),
            "-U",
            settings["USER"],
            "-d",
            settings["NAME"],
            "-q",
            "-o",
            output,
            "-c",
            command,
        ],
        check=True,
        env={**os.environ, "PGPASSWORD": settings["PASSWORD"] or ""},
    )


def ensure_register(
    *,
    teams: int = 10,
    applications: int = 1000,
    steps_per_application: int = 5,
    failure_modes: int = 1_000_000,
) -> None:
    """Create the bench teams' register unless it already has this shape."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from registry.models import FailureMode, Team

    call_command("migrate", verbosity=0)
    call_command("load_reference_data", verbosity=0)
    # bench-1 ... bench-N; other benchmarks add teams of their own (bench-pages).
    bench_teams = Team.objects.filter(slug__regex=r"^bench-[0-9]+$")
    if (
        bench_teams.count() == teams
        and FailureMode.objects.filter(team__in=bench_teams).count() == failure_modes
    ):
        return
    started = time.perf_counter()
    steps = applications * steps_per_application
    with transaction.atomic(), connection.cursor() as cursor:
        # A dedicated bench database: start the register over, with everything that hangs
        # off the teams.
        cursor.execute("TRUNCATE registry_team CASCADE")
        cursor.execute(
            """
            INSERT INTO registry_team (name, slug, created_at)
            SELECT 'Bench team ' || t, 'bench-' || t, now() FROM generate_series(1, %s) t
            """,
            [teams],
        )
        cursor.execute(
            """
            INSERT INTO registry_application
                (team_id, name, description, tier_id, dr_strategy_id, data_residency, owner,
                 created_at, updated_at)
            SELECT team.id, 'Application ' || a, '',
                   (SELECT id FROM registry_tier ORDER BY level OFFSET (a %% 4) LIMIT 1),
                   (SELECT id FROM registry_drstrategy ORDER BY cost_rank OFFSET (a %% 4) LIMIT 1),
                   '', 'owner ' || (a %% 17), now(), now()
            FROM generate_series(1, %s) a
            JOIN registry_team team ON team.slug = 'bench-' || (1 + a %% %s)
            """,
            [applications, teams],
        )
        cursor.execute(
            """
            INSERT INTO registry_step
                (application_id, "order", name, description, created_at, updated_at)
            SELECT app.id, s, 'Step ' || s, '', now(), now()
            FROM registry_application app
            JOIN registry_team team ON team.id = app.team_id AND team.slug LIKE 'bench-%%'
            CROSS JOIN generate_series(1, %s) s
            """,
            [steps_per_application],
        )
        cursor.execute(
            """
            INSERT INTO registry_component
                (team_id, name, kind, description, availability, availability_basis,
                 created_at, updated_at)
            SELECT team.id, 'Component ' || c,
                   (ARRAY['service','database','queue','storage','network','third_party'])
                       [1 + c %% 6],
                   '', 99.9, 'sla', now(), now()
            FROM registry_team team CROSS JOIN generate_series(1, 50) c
            WHERE team.slug LIKE 'bench-%%'
            """,
            [],
        )
        # A dependency tree per step: three components, the first of which needs the
        # next one in a chain of five.
        cursor.execute(
            """
            INSERT INTO registry_dependency (step_id, dependant_component_id, component_id, hard)
            SELECT step.id, NULL, component.id, d <> 3
            FROM registry_step step
            JOIN registry_application app ON app.id = step.application_id
            JOIN registry_team team ON team.id = app.team_id AND team.slug LIKE 'bench-%%'
            CROSS JOIN generate_series(1, 3) d
            JOIN registry_component component ON component.team_id = team.id
                AND component.name = 'Component ' || (1 + (step.id * 7 + d * 11) %% 50)
            ON CONFLICT DO NOTHING
            """,
            [],
        )
        cursor.execute(
            """
            INSERT INTO registry_dependency (step_id, dependant_component_id, component_id, hard)
            SELECT NULL, parent.id, child.id, true
            FROM registry_component parent
            JOIN registry_team team ON team.id = parent.team_id AND team.slug LIKE 'bench-%%'
            CROSS JOIN generate_series(1, 50) c
            JOIN registry_component child ON child.team_id = team.id
                AND child.name = 'Component ' || (c + 1)
            WHERE parent.name = 'Component ' || c AND c %% 5 <> 0
            """,
            [],
        )
        cursor.execute(
            """
            WITH numbered AS (
                SELECT step.id AS step_id, app.team_id,
                       row_number() OVER (ORDER BY step.id) AS n
                FROM registry_step step
                JOIN registry_application app ON app.id = step.application_id
                JOIN registry_team team ON team.id = app.team_id AND team.slug LIKE 'bench-%%'
            )
            INSERT INTO registry_failuremode
                (team_id, step_id, mode, effect, cause, failure_category,
                 prevention_controls, detection_controls, severity, probability, detectability,
                 status, acceptance_rationale, acceptance_expires_on, closed_reason,
                 version, created_at, updated_at)
            SELECT numbered.team_id, numbered.step_id, 'Failure mode ' || f,
                   'Users cannot complete the step', 'Dependency fails',
                   (ARRAY['single_point_of_failure','excessive_load','excessive_latency',
                          'misconfiguration_and_bugs','shared_fate'])[1 + f %% 5],
                   'Redundancy', 'Alarm',
                   1 + f %% 10, 1 + (f / 10) %% 10, 1 + (f / 100) %% 10,
                   (ARRAY['open','mitigating','accepted','closed'])[1 + f %% 4],
                   CASE WHEN f %% 4 = 2 THEN 'Benchmark acceptance' ELSE '' END,
                   CASE WHEN f %% 4 = 2 THEN current_date + 180 END,
                   CASE WHEN f %% 4 = 3 THEN 'Benchmark closure' ELSE '' END,
                   1, now(), now()
            FROM generate_series(0, %s - 1) f
            JOIN numbered ON numbered.n = 1 + f %% %s
            """,
            [failure_modes, steps],
        )
    # Set the visibility map and statistics, as autovacuum would on a live database.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"  generated {failure_modes:,} failure modes in {time.perf_counter() - started:.1f} s")


def delete_team(slug: str) -> None:
    """Delete a bench team. Deleting its rows marks the team for a recompute (recompute
    signals), which must not outlive the team itself."""
    from django.db import transaction

    from registry.models import Team, TeamRecompute

    with transaction.atomic():
        ids = list(Team.objects.filter(slug=slug).values_list("id", flat=True))
        Team.objects.filter(pk__in=ids).delete()
        TeamRecompute.objects.filter(team_id__in=ids).delete()


def ensure_team(slug: str, name: str, rows: int):
    """A team of its own holding `rows` failure modes (1,000 applications of 5 steps),
    kept from one run to the next while it has that many."""
    from django.db import connection, transaction

    from registry.models import FailureMode, Team

    team = Team.objects.filter(slug=slug).first()
    if team is not None and FailureMode.objects.filter(team=team).count() == rows:
        return team
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        delete_team(slug)
        team = Team.objects.create(name=name, slug=slug)
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
