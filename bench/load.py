"""Load: a mixed workload against the web server on loopback, started with the
Procfile's `web` command line (the one docker-compose and the image run too).

50 concurrent users for 60 s (BENCH_USERS, BENCH_SECONDS): 70 % list/filter, 20 %
detail, 10 % writes (PATCH with If-Match) on the bench register in PostgreSQL; then the
same server's rate on /healthz, a trivial JSON view, as the framework's ceiling.
Prints errors, p50/p95/p99 latency, requests per second and the ratio.
"""

import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from bench.data import ensure_register, require_postgres, setup_django
from bench.results import record

USERS = int(os.environ.get("BENCH_USERS", "50"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PORT = int(os.environ.get("BENCH_PORT", "0")) or free_port()
FAILURE_MODES = int(os.environ.get("BENCH_FAILURE_MODES", "1000000"))
ROOT = Path(__file__).resolve().parent.parent


def web_command() -> list[str]:
    """The Procfile's `web` command line, run by a shell as the Procfile's runners run it
    (docker-compose and the image run the same one), with this interpreter's gunicorn."""
    procfile = (ROOT / "Procfile").read_text().splitlines()
    line = next(line for line in procfile if line.startswith("web:")).removeprefix("web:")
    assert line.split()[0] == "gunicorn", line
    return ["sh", "-c", f"exec {line.strip()}"]


def server_env(**overrides: str) -> dict[str, str]:
    """The environment the benchmarks serve the app with: production settings (DEBUG
    off), on loopback, with the rate limits out of the benchmark's way."""
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-" + "x" * 50),
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "THROTTLE_USER_RATE": "10000000/hour",
        **overrides,
    }


@contextmanager
def serving(
    env: dict[str, str], port: int = PORT, output: IO | None = None, root: Path = ROOT
) -> Iterator[subprocess.Popen]:
    """The Procfile's web server of the code at `root` (this checkout by default) on
    `port`, from its first answer until the block ends (its output to `output`, else
    this process's)."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        env=env,
        check=True,
        cwd=root,
    )
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    server = subprocess.Popen(
        web_command(),
        env={**env, "PORT": str(port), "PATH": path},
        cwd=root,
        stdout=output,
        stderr=output,
    )
    try:
        for _ in range(150):
            if server.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.2)
        yield server
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def web_server(root: Path = ROOT):
    """The production-like server of the code at `root`, quiet (no access log)."""
    env = server_env(LOG_LEVEL="WARNING", GUNICORN_LOG_LEVEL="warning")
    return serving(env, output=subprocess.DEVNULL, root=root)


def run_load(paths, token: str, seconds: float, users: int) -> dict:
    """Each user loops over weighted requests until time is up; all on keep-alive."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def user(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        headers = {"Authorization": f"Token {token}", "Host": "localhost"}
        while time.monotonic() < deadline:
            method, path, body, extra = paths(rng)
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers={**headers, **extra})
                response = conn.getresponse()
                response.read()
                ok = response.status < 400 or response.status == 412
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                ok, status = False, repr(exc)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors.append(f"{method} {path}: {status}")
        conn.close()

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - started
    ordered = sorted(latencies)

    def percentile(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000

    return {
        "requests": len(ordered),
        "errors": errors,
        "rps": len(ordered) / took,
        "p50": statistics.median(ordered) * 1000,
        "p95": percentile(0.95),
        "p99": percentile(0.99),
    }


def main() -> None:
    setup_django()
    if not require_postgres():
        return
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from registry.choices import Role
    from registry.models import FailureMode, Membership, Team

    ensure_register(failure_modes=FAILURE_MODES)
    team = Team.objects.get(slug="bench-1")
    user, _ = get_user_model().objects.get_or_create(username="bench-editor")
    Membership.objects.update_or_create(team=team, user=user, defaults={"role": Role.EDITOR})
    token = Token.objects.get_or_create(user=user)[0].key
    ids = list(FailureMode.objects.filter(team=team).values_list("id", flat=True)[:5000])

    def mixed(rng: random.Random):
        roll = rng.random()
        if roll < 0.7:
            query = rng.choice(
                [
                    f"team={team.pk}&ordering=-rpn",
                    f"team={team.pk}&action_priority=H",
                    f"team={team.pk}&tier=1&rpn_min=200",
                    f"team={team.pk}&q=mode+{rng.randint(1, 999)}",
                    f"team={team.pk}&status=mitigating&page={rng.randint(1, 20)}",
                ]
            )
            return "GET", f"/api/v1/failure-modes/?{query}&page_size=50", None, {}
        pk = rng.choice(ids)
        if roll < 0.9:
            return "GET", f"/api/v1/failure-modes/{pk}/", None, {}
        body = json.dumps({"probability": rng.randint(1, 10)})
        return "PATCH", f"/api/v1/failure-modes/{pk}/", body, {"Content-Type": "application/json"}

    with serving(server_env(LOG_LEVEL="WARNING", GUNICORN_LOG_LEVEL="warning")):
        mixed_result = run_load(mixed, token, SECONDS, USERS)
        trivial = run_load(
            lambda rng: ("GET", "/healthz", None, {}), token, min(SECONDS, 20), USERS
        )
    for label, result in (("mixed workload", mixed_result), ("/healthz", trivial)):
        print(
            f"  {label}: {result['requests']:,} requests, {len(result['errors'])} errors, "
            f"{result['rps']:.0f} req/s, p50 {result['p50']:.0f} ms, p95 {result['p95']:.0f} ms, "
            f"p99 {result['p99']:.0f} ms"
        )
    record(
        "load",
        f"mixed workload, {USERS} users",
        mixed_result["rps"],
        "req/s",
        baseline=trivial["rps"],
        target="0 errors",
    )
    for percentile in ("p50", "p95", "p99"):
        record("load", f"mixed workload {percentile}", mixed_result[percentile], "ms")
    record("load", "mixed workload errors", len(mixed_result["errors"]), "", target="0")
    if mixed_result["errors"]:
        print("  first errors:", mixed_result["errors"][:5])
    print(f"  mixed / trivial throughput: {mixed_result['rps'] / trivial['rps']:.2f}")


if __name__ == "__main__":
    main()
