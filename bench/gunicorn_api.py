"""The API's list page over HTTP through gunicorn as shipped, the figure the issue
compares with a peer register (794 ms at 10,000 items on one gunicorn sync worker;
target 60 times faster, <= 13 ms).

A team of 10,000 failure modes and a viewer of it with a token; gunicorn started with
the Procfile's command line (gunicorn.conf.py) and docker-compose.yml's production
settings: DEBUG off, one JSON log line per request and gunicorn's access log (to a
file here), Prometheus in multiprocess mode (a fresh folder), the shared cache when
CACHE_URL is set; one worker process with one thread (WEB_CONCURRENCY=1,
GUNICORN_THREADS=1), so requests are served one at a time as by a sync worker, on
connections kept alive as the shipped worker keeps them.

GET /api/v1/failure-modes/?team=…&ordering=-rpn&page_size=100 from one client on one
keep-alive connection, BENCH_HTTP_REQUESTS times after a warm-up, in turns with the
same page's rows by raw SQL (the baseline) and the same request in this process
through Django's test client; medians. Also the CPU time the gunicorn worker spent per
request (from /proc, Linux): on a shared machine it moves less than the wall time.

Where the time over HTTP goes beyond the in-process request (2 shared cores under a load
of 6 to 9, medians of 300 requests, three runs of each): the page over HTTP 23-42 ms,
in-process 18-34 ms, its raw SQL 4-9 ms, the worker's CPU 9-12 ms per request; /healthz
through the same server about 1 ms. Most of the HTTP-only part (7-8 ms here) is the
check Django makes of a kept database connection before each request uses it (a
`SELECT 1` round trip, which the test client skips): without it the part was 4-5 ms.
Removing all the middleware saved under 0.3 ms of CPU per request, gunicorn's access
log and Prometheus' multiprocess files nothing that stood out of the noise.

Needs PostgreSQL: DATABASE_URL=postgres://...
"""

import http.client
import os
import tempfile
from pathlib import Path

from bench.api import RAW_PAGE_SQL, medians_in_turns
from bench.data import ensure_team, require_postgres, setup_django
from bench.load import PORT, server_env, serving
from bench.results import record

REQUESTS = int(os.environ.get("BENCH_HTTP_REQUESTS", "300"))
ROWS = int(os.environ.get("BENCH_HTTP_ROWS", "10000"))
TEAM = "http-bench"  # not "bench-…": bench/data.py owns those
# The team's page, as bench/api.py asks for it in-process. (Without `team`, the rows of
# all the user's teams: the same rows here, but PostgreSQL then estimates the team's
# share from the whole table and may scan it all.)
PAGE = "/api/v1/failure-modes/?team={team}&ordering=-rpn&page_size=100"
TARGET_MS = 13


def workers_cpu_seconds(master_pid: int) -> float | None:
    """CPU seconds (user and system) the gunicorn master's workers have used so far;
    None without /proc."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # After the command name in parentheses: state, ppid, ..., utime, stime.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == master_pid:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK") if ticks else None


def main() -> None:
    setup_django()
    if not require_postgres():
        return
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from registry.choices import Role
    from registry.models import Membership

    team = ensure_team(TEAM, "HTTP bench", ROWS)
    user, _ = get_user_model().objects.get_or_create(username="http-bench-viewer")
    Membership.objects.update_or_create(team=team, user=user, defaults={"role": Role.VIEWER})
    token = Token.objects.get_or_create(user=user)[0].key
    headers = {"Authorization": f"Token {token}", "Host": "localhost"}
    page = PAGE.format(team=team.pk)

    in_process_client = Client(HTTP_AUTHORIZATION=headers["Authorization"])

    def in_process() -> None:
        response = in_process_client.get(page, HTTP_HOST="localhost")
        assert response.status_code == 200, response.status_code

    def raw_page() -> None:
        with connection.cursor() as cursor:
            cursor.execute(RAW_PAGE_SQL, [team.pk])
            assert len(cursor.fetchall()) == 100

    env = server_env(WEB_CONCURRENCY="1", GUNICORN_THREADS="1", LOG_LEVEL="INFO")
    with (
        tempfile.TemporaryDirectory(prefix="bench-metrics-") as metrics,
        tempfile.TemporaryFile(prefix="bench-gunicorn-") as log,
        serving({**env, "PROMETHEUS_MULTIPROC_DIR": metrics}, output=log) as server,
    ):
        connection_to_server = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)

        def over_http() -> None:
            connection_to_server.request("GET", page, headers=headers)
            response = connection_to_server.getresponse()
            body = response.read()
            assert response.status == 200, (response.status, body[:200])
            over_http.size = len(body)

        for _ in range(20):  # warm the worker: imports, connections, caches
            over_http()
        cpu_before = workers_cpu_seconds(server.pid)
        served, raw, local = medians_in_turns([over_http, raw_page, in_process], REQUESTS)
        cpu_after = workers_cpu_seconds(server.pid)
        connection_to_server.close()

    served_ms, raw_ms, local_ms = served * 1000, raw * 1000, local * 1000
    record(
        "gunicorn_api",
        f"list page of 100 over HTTP, {ROWS:,} items",
        served_ms,
        "ms",
        baseline=raw_ms,
        target=f"<= {TARGET_MS} ms",
    )
    print(
        f"  list page of 100 of {ROWS:,} failure modes (-rpn, {over_http.size:,} bytes) over "
        f"HTTP through gunicorn, one worker: {served_ms:.1f} ms (target <= {TARGET_MS} ms); "
        f"raw SQL of the page {raw_ms:.1f} ms, ratio {served / raw:.1f}x; the same request "
        f"in-process {local_ms:.1f} ms (medians of {REQUESTS} in turns)"
    )
    if cpu_before is not None and cpu_after is not None:
        # The warm-up call of medians_in_turns is one request more.
        cpu_ms = (cpu_after - cpu_before) / (REQUESTS + 1) * 1000
        record("gunicorn_api", "gunicorn worker CPU per list page", cpu_ms, "ms")
        print(f"  gunicorn worker CPU per request: {cpu_ms:.1f} ms")


if __name__ == "__main__":
    main()
