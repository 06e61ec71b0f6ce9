"""API speed against raw SQL baselines measured in the same run (issue: REST API v1).

- A list page of 100 failure modes of one team ordered by -rpn, through the whole
  request in-process, versus the same rows fetched by raw SQL through psycopg; and
  the same page when its count is not cached yet (the first page after a change)
  versus the raw rows plus a raw count; and page 900 versus its raw OFFSET query.
- export.csv of one team versus `psql \\copy` of the same query, and the server's peak
  Python memory while streaming 100,000 and 1,000,000 rows.

Needs PostgreSQL: DATABASE_URL=postgres://... (the register is generated on first run).
"""

import os
import statistics
import time
import tracemalloc

from bench.data import ensure_register, require_postgres, run_psql, setup_django, sql_of
from bench.results import record

RUNS = int(os.environ.get("BENCH_RUNS", "15"))
LIST_RUNS = RUNS * 10
FAILURE_MODES = int(os.environ.get("BENCH_FAILURE_MODES", "1000000"))


# The rows of a list page of 100 of one team by -rpn, as the API fetches them: the
# baseline of the list page's figures.
RAW_PAGE_SQL = """
    SELECT fm.*, app.id, app.name, tier.level, step.name, component.name
    FROM registry_failuremode fm
    JOIN registry_step step ON step.id = fm.step_id
    JOIN registry_application app ON app.id = step.application_id
    JOIN registry_tier tier ON tier.id = app.tier_id
    LEFT JOIN registry_component component ON component.id = fm.component_id
    WHERE fm.team_id = %s ORDER BY fm.rpn DESC, fm.id LIMIT 100
"""


def median_seconds(work, runs: int = RUNS) -> float:
    work()  # warm caches and connections
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def paired_medians(work, baseline, runs: int = LIST_RUNS) -> tuple[float, float]:
    """Medians of `work` and `baseline` run in turns (see `medians_in_turns`)."""
    work_median, baseline_median = medians_in_turns([work, baseline], runs)
    return work_median, baseline_median


def medians_in_turns(jobs, runs: int = LIST_RUNS) -> list[float]:
    """Median seconds of each job, the jobs run in turns so that all see the same
    moments of a machine whose speed drifts; a few milliseconds each, so many runs."""
    for job in jobs:
        job()
    timings: list[list[float]] = [[] for _ in jobs]
    for _ in range(runs):
        for job, spent in zip(jobs, timings, strict=True):
            started = time.perf_counter()
            job()
            spent.append(time.perf_counter() - started)
    return [statistics.median(spent) for spent in timings]


def main() -> None:
    setup_django()
    if not require_postgres():
        return
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from registry.choices import Role
    from registry.exports import export_rows
    from registry.models import FailureMode, Membership, Team

    ensure_register(failure_modes=FAILURE_MODES)
    team = Team.objects.get(slug="bench-1")
    user, _ = get_user_model().objects.get_or_create(username="bench-user")
    Membership.objects.get_or_create(team=team, user=user, defaults={"role": Role.VIEWER})
    superuser, _ = get_user_model().objects.get_or_create(
        username="bench-superuser", defaults={"is_superuser": True}
    )
    # Integrations authenticate with a token: one query, where a session takes two.
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    team_rows = FailureMode.objects.filter(team=team).count()

    url = f"/api/v1/failure-modes/?team={team.pk}&ordering=-rpn&page_size=100"

    def api_page():
        response = client.get(url, HTTP_HOST="localhost")
        assert response.status_code == 200, response.status_code
        return response

    # The page's content is checked once, outside the timings: decoding the JSON is the
    # client's work, as the raw side decodes nothing.
    assert len(api_page().json()["results"]) == 100

    def raw_page():
        with connection.cursor() as cursor:
            cursor.execute(RAW_PAGE_SQL, [team.pk])
            assert len(cursor.fetchall()) == 100

    def raw_page_and_count():
        raw_page()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM registry_failuremode WHERE team_id = %s", [team.pk]
            )

    def api_page_counted():
        # The first page after a change: the count is not in the cache yet.
        cache.clear()
        api_page()

    deep_url = f"{url}&page=900"

    def api_deep_page():
        response = client.get(deep_url, HTTP_HOST="localhost")
        assert response.status_code == 200, response.status_code

    def raw_deep_page():
        with connection.cursor() as cursor:
            cursor.execute(f"{RAW_PAGE_SQL} OFFSET 89900", [team.pk])
            assert len(cursor.fetchall()) == 100

    api, raw = paired_medians(api_page, raw_page)
    api_counted, raw_counted = paired_medians(api_page_counted, raw_page_and_count)
    print(
        f"  list page (100 of {team_rows:,} rows, -rpn): request {api * 1000:.1f} ms, "
        f"raw SQL {raw * 1000:.1f} ms, ratio {api / raw:.2f}x (target <= 3x)"
    )
    record("api", "list page of 100 (-rpn)", api * 1000, "ms", baseline=raw * 1000, target="<= 3x")
    print(
        f"  the same when the page count is not cached (first page after a change): "
        f"request {api_counted * 1000:.1f} ms, raw SQL rows + count {raw_counted * 1000:.1f} ms, "
        f"ratio {api_counted / raw_counted:.1f}x"
    )
    record(
        "api",
        "list page, count not cached, vs rows + count",
        api_counted * 1000,
        "ms",
        baseline=raw_counted * 1000,
    )

    api_deep, raw_deep = paired_medians(api_deep_page, raw_deep_page, RUNS)
    print(
        f"  page 900 of the same (OFFSET 89,900): request {api_deep * 1000:.1f} ms, raw SQL "
        f"of that page {raw_deep * 1000:.1f} ms, ratio {api_deep / raw_deep:.2f}x"
    )
    record("api", "list page 900 of 100", api_deep * 1000, "ms", baseline=raw_deep * 1000)

    # Export: the endpoint versus psql \copy of the same query.
    export_url = f"/api/v1/failure-modes/export.csv?team={team.pk}"

    def api_export(as_client=client, url=export_url):
        response = as_client.get(url, HTTP_HOST="localhost")
        return sum(len(chunk) for chunk in response.streaming_content)

    queryset = FailureMode.objects.filter(team=team).order_by(
        "step__application__name", "step__order", "-rpn", "id"
    )
    sql = sql_of(export_rows(queryset))

    def psql_export():
        run_psql(f"\\copy ({sql}) to stdout csv")

    export_runs = max(3, RUNS // 3)
    endpoint = median_seconds(api_export, export_runs)
    baseline = median_seconds(psql_export, export_runs)
    print(
        f"  export.csv ({team_rows:,} rows): endpoint {endpoint:.2f} s, psql \\copy "
        f"{baseline:.2f} s, ratio {endpoint / baseline:.2f}x (target <= 1.5x)"
    )

    record(
        "api",
        f"export.csv, {team_rows:,} rows",
        endpoint,
        "s",
        baseline=baseline,
        target="<= 1.5x",
    )

    admin = Client()
    admin.force_login(superuser)
    for label, as_client, url in [
        (f"{team_rows:,} rows", client, export_url),
        (f"{FailureMode.objects.count():,} rows", admin, "/api/v1/failure-modes/export.csv"),
    ]:
        tracemalloc.start()
        size = api_export(as_client, url)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        record("api", f"export.csv peak memory, {label}", peak / 1e6, "MB", target="flat")
        print(
            f"  export.csv peak Python memory, {label} ({size / 1e6:.0f} MB of CSV): "
            f"{peak / 1e6:.1f} MB"
        )


if __name__ == "__main__":
    main()
