"""The receivers under an alert storm: Alertmanager deliveries (webhook payload version
4, as Alertmanager sends them) posted to the web server started as in production
(gunicorn with gunicorn.conf.py, PostgreSQL), BENCH_RECEIVER_CLIENTS (16) at a time on
keep-alive connections, as fast as the server answers.

BENCH_RECEIVER_GROUPS (1,000) alert groups, in three passes: every group `firing` (new
incidents), every group `resolved` (updates), and the resolved notifications again (the
replays Alertmanager sends every repeat_interval). Prints events/s per pass (target >=
200), refusals, and then checks that none was lost: one resolved incident per group,
with one version in its history per change (two).

BENCH_RECEIVER_BASE=<directory of another checkout> (e.g. `git archive main`) runs the
same passes against that code too, alternately with this one, BENCH_ROUNDS (3) rounds
each on the same database: the before/after ratio from medians of paired rounds.

Before the passes, 64 untimed deliveries warm the server (URL patterns, connections),
as a storm finds a server that is already serving. Each pass also prints the CPU an
event cost gunicorn's processes and the database's client backends (read from /proc),
a figure that other work on a shared machine does not move.

Measured on this 2-core machine, quiet at the start (load 0.6), 1,000 groups, 3 paired
rounds against the code before the statements were written once from the models and
recomputes were queued only by the change that finds its team up to date: firing 251
events/s against 153 (1.64x), resolved 225 against 130 (1.73x), replayed 280 against
183 (1.53x); none lost, two history versions per group. Server CPU per event: firing
6.0 ms against 10.4, resolved 7.2 against 12.4, replayed 4.8 against 7.4.
"""

import datetime
import hashlib
import http.client
import json
import os
import statistics
import threading
import time
from pathlib import Path

from bench.data import require_postgres, setup_django
from bench.load import PORT, ROOT, web_server
from bench.results import record

GROUPS = int(os.environ.get("BENCH_RECEIVER_GROUPS", "1000"))
CLIENTS = int(os.environ.get("BENCH_RECEIVER_CLIENTS", "16"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
BASE = os.environ.get("BENCH_RECEIVER_BASE", "")
PASSES = ("firing", "resolved", "replayed")
WARM = 4 * CLIENTS  # untimed deliveries before the passes
STARTS_AT = datetime.datetime(2026, 11, 20, 10, tzinfo=datetime.UTC)


def payload(run: str, group: int, status: str, component: str) -> bytes:
    """Alertmanager's documented webhook body for one alert group."""
    name = f"Bench{run}x{group}"
    alert = {
        "status": status,
        "labels": {"alertname": name, "severity": "critical", "fmea_component": component},
        "annotations": {"summary": f"Bench alert group {group}"},
        "startsAt": STARTS_AT.isoformat(),
        "endsAt": "2026-11-20T10:30:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "https://prometheus.example.com/graph?g0.expr=up",
        "fingerprint": f"{group:016x}",
    }
    return json.dumps(
        {
            "version": "4",
            "groupKey": f'{{}}:{{alertname="{name}"}}',
            "truncatedAlerts": 0,
            "status": status,
            "receiver": "fmea",
            "groupLabels": {"alertname": name},
            "commonLabels": alert["labels"],
            "commonAnnotations": alert["annotations"],
            "externalURL": "https://alertmanager.example.com",
            "alerts": [alert],
        }
    ).encode()


def deliver(bodies: list[bytes], token: str) -> tuple[float, list[str]]:
    """Post every body, CLIENTS at a time; returns (seconds, refusals)."""
    refused: list[str] = []
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Host": "localhost",
    }

    def client(chunk: list[bytes]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        for body in chunk:
            try:
                conn.request("POST", "/api/v1/receivers/alertmanager/", body, headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    refused.append(str(response.status))
            except (OSError, http.client.HTTPException) as exc:
                refused.append(repr(exc))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        conn.close()

    threads = [
        threading.Thread(target=client, args=(bodies[index::CLIENTS],)) for index in range(CLIENTS)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, refused


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def server_pids(master: int) -> dict[str, list[int]]:
    """The web server's processes (its master and workers) and the PostgreSQL backends
    serving this database (but this process's own)."""
    from django.db import connection

    workers = [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit()
        and (entry / "stat").exists()
        and _parent(int(entry.name)) == master
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        backends = [pid for (pid,) in cursor.fetchall()]
    return {"gunicorn": [master, *workers], "PostgreSQL": backends}


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def storm(root: Path, token: str, component: str, label: str) -> dict[str, float]:
    """The three passes against the code at `root`; events/s per pass, the CPU each
    event cost the web server's processes and PostgreSQL's backends, and the losses."""
    from registry.models import Incident

    run = f"{label}{time.time_ns()}"
    rates: dict[str, float] = {}
    with web_server(root) as server:
        # Every worker thread's first requests load what a served process keeps (URL
        # patterns, its database connection): a storm finds the server warm.
        for status in ("firing", "resolved"):
            deliver([payload(f"warm{run}", g, status, component) for g in range(WARM)], token)
        for name in PASSES:
            status = "firing" if name == "firing" else "resolved"
            bodies = [payload(run, group, status, component) for group in range(GROUPS)]
            # The processes as they stand after the previous pass (connections are kept).
            pids = server_pids(server.pid)
            before = {pid: cpu_seconds(pid) for group in pids.values() for pid in group}
            client = time.process_time()
            seconds, refused = deliver(bodies, token)
            client = time.process_time() - client
            used = {
                group: sum(cpu_seconds(pid) - before.get(pid, 0.0) for pid in members)
                for group, members in server_pids(server.pid).items()
            }
            rates[name] = GROUPS / seconds
            rates[f"{name} cpu"] = sum(used.values()) / GROUPS * 1000
            print(
                f"  {label}: {GROUPS:,} {name} deliveries in {seconds:.2f} s, "
                f"{rates[name]:,.0f} events/s, {len(refused)} refused {refused[:3]}; CPU per "
                f"event {rates[f'{name} cpu']:.2f} ms ("
                + ", ".join(f"{group} {cpu / GROUPS * 1000:.2f}" for group, cpu in used.items())
                + f"), the bench's client {client / GROUPS * 1000:.2f} ms",
                flush=True,
            )
    stored = Incident.objects.filter(
        source="alertmanager", external_id__in=[external_id(run, g) for g in range(GROUPS)]
    )
    resolved = stored.filter(resolved_at__isnull=False).count()
    versions = Incident.history.filter(id__in=stored.values("id")).count()
    rates["lost"] = GROUPS - resolved
    print(
        f"  {label}: {resolved:,} of {GROUPS:,} groups stored resolved "
        f"({GROUPS - resolved} lost), "
        f"{versions:,} history versions (expected {2 * GROUPS:,})",
        flush=True,
    )
    return rates


def external_id(run: str, group: int) -> str:
    """The incident id the receiver gives a bench group: its group key's fingerprint and
    the start."""
    group_key = f'{{}}:{{alertname="Bench{run}x{group}"}}'
    return f"{hashlib.sha256(group_key.encode()).hexdigest()[:32]}:{int(STARTS_AT.timestamp())}"


def main() -> None:
    setup_django()
    if not require_postgres():
        return
    from django.core.management import call_command

    from registry.models import Component, Team
    from registry.services.incidents import rotate_receiver_token

    call_command("migrate", verbosity=0)
    team, _ = Team.objects.get_or_create(slug="bench-receivers", defaults={"name": "Receivers"})
    component, _ = Component.objects.get_or_create(
        team=team,
        name="orders-db",
        defaults={"kind": "database", "availability": 99.9, "availability_basis": "sla"},
    )
    _, token = rotate_receiver_token(team_id=team.pk, source="alertmanager", user=None)
    codes = [("this", ROOT)] + ([("base", Path(BASE))] if BASE else [])
    results: dict[str, list[dict[str, float]]] = {label: [] for label, _ in codes}
    for _ in range(ROUNDS if BASE else 1):
        for label, root in codes:
            results[label].append(storm(root, token, component.name, label))
    for name in PASSES:
        this = statistics.median(r[name] for r in results["this"])
        base = statistics.median(r[name] for r in results["base"]) if BASE else None
        versus = f", {base:,.0f} before ({this / base:.2f}x)" if base else ""
        cpu = statistics.median(r[f"{name} cpu"] for r in results["this"])
        cpu_base = statistics.median(r[f"{name} cpu"] for r in results["base"]) if BASE else 0
        cpu_versus = f", {cpu_base:.2f} before" if BASE else ""
        print(
            f"  {name}: median {this:,.0f} events/s{versus}; server CPU per event "
            f"{cpu:.2f} ms{cpu_versus}"
        )
        record(
            "receivers", f"Alertmanager {name}", this, "events/s", baseline=base, target=">= 200"
        )
    lost = sum(r["lost"] for r in results["this"])
    record("receivers", "deliveries lost", lost, "", target="0")


if __name__ == "__main__":
    main()
