"""The fault drill (`make faults`): the production shape on this machine, under a mixed
load of 20 clients for a minute, while Redis (the broker and the cache) and the worker
are stopped and started again. Reports lost edits, reports stuck, duplicate reports and
the answers per phase (5xx, connection errors, 503 with Retry-After).

Everything runs on ports and folders of its own: a PostgreSQL cluster (initdb), a Redis
(append-only, as docker-compose runs it), the Procfile's web, worker and beat command
lines. FAULT_CLIENTS, FAULT_PHASE_SECONDS, FAULT_WEB_PORT, FAULT_PG_PORT and
FAULT_REDIS_PORT change the shape; FAULT_CACHE=local keeps the cache in each web
process, so that stopping Redis stops the broker alone.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = int(os.environ.get("FAULT_CLIENTS", "20"))
PHASE_SECONDS = float(os.environ.get("FAULT_PHASE_SECONDS", "12"))
WEB_PORT = int(os.environ.get("FAULT_WEB_PORT", "8120"))
PG_PORT = int(os.environ.get("FAULT_PG_PORT", "7120"))
REDIS_PORT = int(os.environ.get("FAULT_REDIS_PORT", "7121"))
PHASES = ("steady", "redis down", "redis back", "worker killed", "recovered")


def procfile(name: str) -> str:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return next(line for line in lines if line.startswith(f"{name}:")).split(":", 1)[1].strip()


class Stack:
    """PostgreSQL, Redis and the Procfile's processes, in a temporary folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.processes: dict[str, subprocess.Popen] = {}
        self.pg_owner: list[str] = []
        self.env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "DJANGO_SETTINGS_MODULE": "fmea.settings",
            "DEBUG": "0",
            "SECRET_KEY": "fault-drill-only-" + "x" * 50,
            "ALLOWED_HOSTS": "localhost,127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{PG_PORT}/fmea",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
            "CACHE_URL": f"redis://127.0.0.1:{REDIS_PORT}/1",
            "MEDIA_ROOT": str(folder / "media"),
            "FMEA_VAR_DIR": str(folder / "var"),
            "LOG_LEVEL": "WARNING",
            "GUNICORN_LOG_LEVEL": "warning",
            "THROTTLE_USER_RATE": "10000000/hour",
            "PORT": str(WEB_PORT),
            # A dead worker's run is taken back after 10 s without heartbeat.
            "JOB_HEARTBEAT_SECONDS": "2",
            "JOB_STALE_AFTER_SECONDS": "10",
            "WORKER_CONCURRENCY": "2",
            "WEB_CONCURRENCY": "2",
        }
        if os.environ.get("FAULT_CACHE") == "local":  # Redis as the broker only
            del self.env["CACHE_URL"]

    def log(self, name: str):
        return (self.folder / f"{name}.log").open("ab")

    def start_postgres(self) -> None:
        data = self.folder / "pg"
        data.mkdir()
        # PostgreSQL refuses to run as root: the cluster belongs to the postgres user.
        owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if owner:
            shutil.chown(self.folder, "postgres")
            shutil.chown(data, "postgres")
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        subprocess.run(
            [*owner, "initdb", "-D", str(data), "-U", "postgres", "-A", "trust"],
            check=True,
            **quiet,
        )
        subprocess.run(
            [
                *owner,
                *("pg_ctl", "-D", str(data), "-l", str(data / "server.log"), "-w"),
                *("-o", f"-p {PG_PORT} -k {data} -c listen_addresses=127.0.0.1"),
                "start",
            ],
            check=True,
            **quiet,
        )
        self.pg_owner = owner
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", "fmea"],
            check=True,
        )

    def start_redis(self) -> None:
        self.processes["redis"] = subprocess.Popen(
            [
                *("redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "yes", "--dir", str(self.folder)),
            ],
            stdout=self.log("redis"),
        )
        time.sleep(0.5)

    def stop_redis(self) -> None:
        self.processes["redis"].terminate()
        self.processes["redis"].wait(timeout=30)

    def start(self, name: str) -> None:
        self.processes[name] = subprocess.Popen(
            ["sh", "-c", f"exec {procfile(name)}"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log(name),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def manage(self, *args: str) -> str:
        """The command's last line of output (log lines may come before it)."""
        output = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return output.strip().splitlines()[-1] if output.strip() else ""

    def kill_worker(self) -> None:
        """SIGKILL the worker and its pool, as an OOM kill would; bin/respawn starts a
        new one."""
        respawn = self.processes["worker"].pid
        for pid in children(respawn):
            kill_tree(pid)

    def stop_all(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is None:
                if name == "redis":
                    process.terminate()
                else:
                    os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
        if (self.folder / "pg" / "postmaster.pid").exists():
            subprocess.run(
                [*self.pg_owner, "pg_ctl", "-D", str(self.folder / "pg"), "-m", "fast", "stop"],
                stdout=subprocess.DEVNULL,
            )


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                after = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(after[1]) == pid:
                found.append(int(entry.name))
    return found


def kill_tree(pid: int) -> None:
    for child in children(pid):
        kill_tree(child)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


class Load:
    """CLIENTS users: lists, edits of failure modes of their own, report requests retried
    with their Idempotency-Key until accepted."""

    def __init__(self, token: str, team: int, modes: list[int]) -> None:
        self.token, self.team, self.modes = token, team, modes
        self.phase = PHASES[0]
        self.stop = threading.Event()
        self.answers: dict[str, Counter] = defaultdict(Counter)
        self.acknowledged: dict[int, int] = {}  # failure mode -> last probability saved
        self.report_keys: dict[str, int | None] = {}  # key -> run id once accepted
        self.lock = threading.Lock()

    def request(self, conn, method: str, path: str, body=None, headers=None):
        headers = {"Authorization": f"Token {self.token}", "Host": "localhost", **(headers or {})}
        if body is not None:
            body, headers["Content-Type"] = json.dumps(body), "application/json"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            status, data = "connection error", b""
        phase = self.phase  # when the answer came
        with self.lock:
            kind = status if isinstance(status, str) else f"{status // 100}xx"
            self.answers[phase][kind] += 1
            self.answers[phase]["requests"] += 1
            if status == 503:
                self.answers[phase]["503"] += 1
        return status, data

    def user(self, number: int) -> None:
        rng = random.Random(number)
        mine = self.modes[number::CLIENTS]
        conn = http.client.HTTPConnection("127.0.0.1", WEB_PORT, timeout=30)
        pending: str | None = None
        while not self.stop.is_set():
            roll = rng.random()
            if pending or roll < 0.05:
                key = pending or uuid.uuid4().hex
                status, data = self.request(
                    conn,
                    "POST",
                    "/api/v1/reports/",
                    {"team": self.team, "format": "csv", "min_rpn": 500},
                    {"Idempotency-Key": key},
                )
                with self.lock:
                    self.report_keys.setdefault(key, None)
                    if status == 202:
                        self.report_keys[key] = json.loads(data)["id"]
                pending = None if status == 202 else key
                if pending:
                    time.sleep(1)
            elif roll < 0.2 and mine:
                pk, value = rng.choice(mine), rng.randint(1, 10)
                status, _ = self.request(
                    conn, "PATCH", f"/api/v1/failure-modes/{pk}/", {"probability": value}
                )
                if status == 200:
                    with self.lock:
                        self.acknowledged[pk] = value
            else:
                query = rng.choice(["ordering=-rpn", "action_priority=H", "tier=1", "status=open"])
                self.request(conn, "GET", f"/api/v1/failure-modes/?team={self.team}&{query}")


def wait_for_web(deadline: float = 60) -> None:
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", WEB_PORT, timeout=2)
            conn.request("GET", "/healthz", headers={"Host": "localhost"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("the web server did not start")


def main() -> None:
    for tool in ("redis-server", "initdb", "pg_ctl", "createdb"):
        if shutil.which(tool) is None:
            print(f"  skipped: the drill needs {tool} on the PATH")
            return
    folder = Path(tempfile.mkdtemp(prefix="fmea-faults-"))
    stack = Stack(folder)
    try:
        print(f"  stack in {folder}: web :{WEB_PORT}, PostgreSQL :{PG_PORT}, Redis :{REDIS_PORT}")
        stack.start_postgres()
        stack.start_redis()
        stack.manage("migrate", "--noinput")
        stack.manage("load_reference_data")
        stack.manage("seed_demo")
        setup = (
            "from rest_framework.authtoken.models import Token;"
            "from registry.models import Team, FailureMode, Membership;"
            "t = Team.objects.get(slug='demo');"
            "u = Membership.objects.filter(team=t, role='owner').first().user;"
            "ids = FailureMode.objects.filter(team=t).values_list('pk', flat=True);"
            "print(Token.objects.get_or_create(user=u)[0].key, t.pk, ','.join(map(str, ids)))"
        )
        token, team, modes = stack.manage("shell", "-c", setup).split()
        for name in ("web", "worker", "beat"):
            stack.start(name)
        wait_for_web()
        load = Load(token, int(team), [int(pk) for pk in modes.split(",")])
        threads = [threading.Thread(target=load.user, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for phase in PHASES:
            load.phase = phase
            if phase == "redis down":
                stack.stop_redis()
            elif phase == "redis back":
                stack.start_redis()
            elif phase == "worker killed":
                stack.kill_worker()
            time.sleep(PHASE_SECONDS)
        load.stop.set()
        for thread in threads:
            thread.join()
        report(stack, load)
    finally:
        stack.stop_all()
        print(f"  logs in {folder}")


def report(stack: Stack, load: Load) -> None:
    """Wait for the reports to settle (the sweep runs every minute), then check."""
    check = (
        "import json, time;"
        "from registry.models import FailureMode, ReportRun;"
        "end = time.monotonic() + 180\n"
        "while time.monotonic() < end and ReportRun.objects.filter("
        "status__in=['queued', 'running']).exists(): time.sleep(2)\n"
        "modes = dict(FailureMode.objects.values_list('pk', 'probability'))\n"
        "runs = list(ReportRun.objects.values('id', 'status', 'idempotency_key', 'file', 'error', "
        "'attempts', 'created_at', 'started_at', 'heartbeat_at'))\n"
        "print(json.dumps({'modes': modes, 'runs': runs}, default=str))"
    )
    state = json.loads(stack.manage("shell", "-c", check))
    saved = {int(pk): value for pk, value in state["modes"].items()}
    lost = [pk for pk, value in load.acknowledged.items() if saved.get(pk) != value]
    runs = state["runs"]
    stuck = [run for run in runs if run["status"] in ("queued", "running")]
    by_key = Counter(run["idempotency_key"] for run in runs if run["idempotency_key"])
    duplicates = sum(count - 1 for count in by_key.values() if count > 1)
    accepted = {key: pk for key, pk in load.report_keys.items() if pk is not None}
    media = Path(stack.env["MEDIA_ROOT"])
    files = {path.relative_to(media).as_posix() for path in media.rglob("*") if path.is_file()}
    done = [run for run in runs if run["status"] == "done"]
    orphans = files - {run["file"] for run in done}
    print(f"  {CLIENTS} clients, {len(PHASES)} phases of {PHASE_SECONDS:.0f} s")
    for phase in PHASES:
        answers = load.answers[phase]
        print(
            f"  {phase:>13}: {answers['requests']:5} requests, 5xx {answers['5xx']}"
            f" (503 {answers['503']}), connection errors {answers['connection error']}"
        )
    print(f"  edits acknowledged: {len(load.acknowledged)} failure modes; lost edits: {len(lost)}")
    print(
        f"  report requests: {len(load.report_keys)} keys, {len(accepted)} accepted;"
        f" runs {len(runs)} ({len(done)} done, {len(runs) - len(done) - len(stuck)} failed);"
        f" reports stuck: {len(stuck)}; duplicate reports: {duplicates};"
        f" files {len(files)} for {len(done)} done runs ({len(orphans)} without a run)"
    )
    failed = Counter(run["error"][:70] for run in runs if run["status"] == "failed")
    for error, count in failed.items():
        print(f"    failed x{count}: {error}")
    for run in stuck:
        print(
            f"    stuck: run {run['id']} {run['status']}, attempts {run['attempts']},"
            f" created {run['created_at']}, started {run['started_at']},"
            f" heartbeat {run['heartbeat_at']}"
        )


if __name__ == "__main__":
    main()
