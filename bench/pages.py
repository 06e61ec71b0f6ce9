"""Browser pages on PostgreSQL (issue: browser UI): the dashboard and a step worksheet
render in under 300 ms for a team with 5,000 failure modes.

Adds a team `bench-pages` with 5,000 failure modes over 10 applications and 50 steps
(100 rows per worksheet) beside the bench register, then times whole requests
in-process (median) and prints them beside a trivial page as the framework's floor.
The dashboard and the failure-mode list are timed for a team of the 1M register
(100,000 failure modes) too.
"""

import os
import statistics
import time

from bench.data import ensure_register, require_postgres, setup_django
from bench.results import record

RUNS = int(os.environ.get("BENCH_RUNS", "15"))
FAILURE_MODES = int(os.environ.get("BENCH_FAILURE_MODES", "1000000"))
TARGET_MS = 300


def median_ms(client, url: str) -> float:
    client.get(url, HTTP_HOST="localhost")
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(url, HTTP_HOST="localhost")
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(timings) * 1000


def ensure_pages_team():
    from django.core.management import call_command
    from django.db import connection, transaction

    from registry.models import FailureMode, Team

    call_command("migrate", verbosity=0)
    call_command("load_reference_data", verbosity=0)
    team = Team.objects.filter(slug="bench-pages").first()
    if team and FailureMode.objects.filter(team=team).count() == 5000:
        return team
    with transaction.atomic(), connection.cursor() as cursor:
        if team:
            team.delete()
        cursor.execute(
            "INSERT INTO registry_team (name, slug, created_at) "
            "VALUES ('Bench pages', 'bench-pages', now()) RETURNING id",
            [],
        )
        team_id = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO registry_application (team_id, name, description, tier_id,
                dr_strategy_id, data_residency, owner, created_at, updated_at)
            SELECT %s, 'Application ' || a, '',
                (SELECT id FROM registry_tier ORDER BY level OFFSET (a %% 4) LIMIT 1),
                (SELECT id FROM registry_drstrategy ORDER BY cost_rank LIMIT 1),
                '', '', now(), now()
            FROM generate_series(1, 10) a
            """,
            [team_id],
        )
        cursor.execute(
            """
            INSERT INTO registry_step (application_id, "order", name, description,
                created_at, updated_at)
            SELECT app.id, s, 'Step ' || s, '', now(), now()
            FROM registry_application app CROSS JOIN generate_series(1, 5) s
            WHERE app.team_id = %s
            """,
            [team_id],
        )
        cursor.execute(
            """
            INSERT INTO registry_failuremode (team_id, step_id, mode, effect, cause,
                failure_category, prevention_controls, detection_controls, severity,
                probability, detectability, status, acceptance_rationale,
                acceptance_expires_on, closed_reason, version, created_at, updated_at)
            SELECT %s, step.id, 'Failure mode ' || f, 'Effect', 'Cause',
                'single_point_of_failure', 'Prevention', 'Detection',
                1 + f %% 10, 1 + (f / 10) %% 10, 1 + (f / 100) %% 10,
                (ARRAY['open','mitigating','accepted','closed'])[1 + f %% 4],
                CASE WHEN f %% 4 = 2 THEN 'Benchmark acceptance' ELSE '' END,
                CASE WHEN f %% 4 = 2 THEN current_date + 180 END,
                CASE WHEN f %% 4 = 3 THEN 'Benchmark closure' ELSE '' END,
                1, now(), now()
            FROM registry_step step
            JOIN registry_application app ON app.id = step.application_id
            CROSS JOIN generate_series(1, 100) f
            WHERE app.team_id = %s
            """,
            [team_id, team_id],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Team.objects.get(slug="bench-pages")


def main() -> None:
    setup_django()
    if not require_postgres():
        return
    from django.contrib.auth import get_user_model
    from django.test import Client

    from registry.analysis import rollups
    from registry.choices import Role
    from registry.models import FailureMode, Membership, Step, Team

    ensure_register(failure_modes=FAILURE_MODES)  # first: it starts the teams over
    big_team = Team.objects.get(slug="bench-1")
    team = ensure_pages_team()
    rollups.recompute_team(team.pk)
    rollups.refresh_rollups(big_team.pk)  # the dashboard reads the stored tier rollups
    user, _ = get_user_model().objects.get_or_create(username="bench-pages-user")
    Membership.objects.update_or_create(team=team, user=user, defaults={"role": Role.EDITOR})
    client = Client()
    client.force_login(user)
    step = Step.objects.filter(application__team=team).order_by("pk").first()
    big_user, _ = get_user_model().objects.get_or_create(username="bench-pages-big")
    Membership.objects.update_or_create(
        team=big_team, user=big_user, defaults={"role": Role.VIEWER}
    )
    big_client = Client()
    big_client.force_login(big_user)
    big_rows = f"{FailureMode.objects.filter(team=big_team).count():,} failure modes"
    floor = median_ms(client, "/healthz")
    for label, as_client, url in (
        ("dashboard", client, "/"),
        (f"worksheet ({step.failure_modes.count()} rows)", client, f"/steps/{step.pk}/"),
        ("failure modes list", client, "/failure-modes/"),
        ("applications", client, "/applications/"),
        (f"dashboard, {big_rows}", big_client, "/"),
        (f"failure modes list, {big_rows}", big_client, "/failure-modes/"),
    ):
        took = median_ms(as_client, url)
        record("pages", label, took, "ms", baseline=floor, target=f"< {TARGET_MS} ms")
        verdict = "ok" if took < TARGET_MS else "over target"
        print(
            f"  {label}: {took:.0f} ms median ({verdict}: < {TARGET_MS} ms; "
            f"/healthz {floor:.1f} ms)"
        )


if __name__ == "__main__":
    main()
