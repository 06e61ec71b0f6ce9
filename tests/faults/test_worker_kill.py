"""Faults: the worker generating a report is killed (SIGKILL) in the middle of the run.
The task is delivered again and finishes: the run ends done, with exactly one file,
complete.

The worker is a real `celery worker` process (prefork pool, one child) on the reports
queue, on the configured broker and the test database, so that it can be killed.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from openpyxl import load_workbook

from registry.models import FailureMode, Membership, ReportRun, Team
from registry.reports import runs
from registry.reports.tasks import generate_report_task
from tests.conftest import require

pytestmark = pytest.mark.django_db(transaction=True)

# Enough failure modes that the XLSX report takes seconds to write, so that the kill
# lands in the middle of it (a CSV of any size a test can afford takes under a second).
FAILURE_MODES = 20_000

# `python -c LAUNCHER worker ...`: the app from the production settings, with the test
# process's broker transport options (its filesystem broker folder, Redis options).
LAUNCHER = """
import json, os, sys
from fmea.celery import app
app.conf.broker_transport_options = json.loads(os.environ["WORKER_TRANSPORT_OPTIONS"])
app.worker_main(sys.argv[1:])
"""


def database_url() -> str:
    """The test database, as the worker's DATABASE_URL."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = quote(db["HOST"] or "", safe="")
    return f"postgres://{quote(db['USER'], safe='')}{password}@{host}:{db['PORT']}/{db['NAME']}"


def children(pid: int) -> list[int]:
    """Live child processes of `pid`, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # exited meanwhile
            continue
        # "pid (name) state ppid ...": the name may hold spaces and parentheses.
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            found.append(int(entry.name))
    return found


class Worker:
    """One `celery worker` process group; `log()` is its output so far."""

    def __init__(
        self,
        directory: Path,
        media: Path,
        transport_options: dict,
        broker_url: str | None = None,
        env: dict | None = None,
    ) -> None:
        self.log_path = directory / f"worker-{uuid.uuid4().hex[:8]}.log"
        (directory / "tmp").mkdir(exist_ok=True)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "fmea.settings",
            "DEBUG": "1",
            "LOG_FORMAT": "text",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": broker_url or settings.CELERY_BROKER_URL,
            "CELERY_DEFAULT_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
            "CELERY_REPORT_QUEUE": settings.REPORT_QUEUE,
            "WORKER_TRANSPORT_OPTIONS": json.dumps(transport_options),
            "FMEA_VAR_DIR": str(directory / "var"),
            "MEDIA_ROOT": str(media),
            # openpyxl's sheet files of a killed run stay behind: here, not in /tmp.
            "TMPDIR": str(directory / "tmp"),
            **(env or {}),
        }
        command = [
            *(sys.executable, "-c", LAUNCHER, "worker", "--pool=prefork", "--concurrency=1"),
            f"--queues={settings.REPORT_QUEUE}",
            f"--hostname=kill-{uuid.uuid4().hex[:8]}@%h",
            *("--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"),
        ]
        with self.log_path.open("wb") as log:
            # A session of its own: killing the group kills the worker, not pytest.
            self.process = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def pool_process(self) -> int:
        """The pool's one child: the process running the task."""
        pids = children(self.process.pid)
        assert len(pids) == 1, f"pool processes: {pids}\n{self.log()}"
        return pids[0]

    def kill(self) -> None:
        """SIGKILL the worker and its pool, as when its machine or container dies."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """Report files go to a fresh folder, the worker's and the test's."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def start_worker(tmp_path, media):
    """`start_worker(broker_url=None, env=None, **transport_options)`: a worker on the
    configured broker, or on `broker_url` with only the options given; every worker is
    killed at the end."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc (Linux) to find the worker's pool process")
    started: list[Worker] = []

    def start(broker_url: str | None = None, env: dict | None = None, **transport_options):
        options = transport_options
        if broker_url is None:  # the configured broker, with its options
            options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, **transport_options}
        started.append(Worker(tmp_path, media, options, broker_url, env))
        return started[-1]

    yield start
    for worker in started:
        worker.kill()


@pytest.fixture
def big_demo():
    """The demo team with FAILURE_MODES more failure modes; (team, owner, count)."""
    call_command("seed_demo", verbosity=0)
    team = Team.objects.get(slug="demo")
    step = FailureMode.objects.filter(team=team).first().step
    FailureMode.objects.bulk_create(
        (
            FailureMode(
                team=team,
                step=step,
                mode=f"Bulk failure mode {n}",
                effect="Orders cannot be paid for; " * 8,
                severity=1 + n % 10,
                probability=1 + n % 7,
                detectability=1 + n % 5,
            )
            for n in range(FAILURE_MODES)
        ),
        batch_size=2000,
    )
    owner = Membership.objects.get(team=team, role="owner").user
    return team, owner, team.failure_modes.count()


def wait_for(run: ReportRun, condition, seconds: float, worker: Worker) -> None:
    """Poll until `condition(run)` holds; fail with the worker's log."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if condition(run):
            return
        time.sleep(0.1)
    raise AssertionError(f"Not true within {seconds} s: {condition.__doc__}\n{worker.log()}")


def running_with_progress(run: ReportRun) -> bool:
    """the run is running and has written rows"""
    return run.status == "running" and run.progress_done > 0


def finished(run: ReportRun) -> bool:
    """the run is done or failed"""
    return run.status in ("done", "failed")


def kill_mid_run(run: ReportRun, kill) -> str:
    """Kill with `kill()` while the run is being written; the id of the task that had it."""
    kill()
    run.refresh_from_db()
    assert run.status == "running", f"the run was {run.status} before the kill: add rows"
    assert run.claimed_by
    return run.claimed_by


def request_report(team, owner) -> ReportRun:
    """An XLSX report of the team, queued for the worker as the API queues it."""
    run = runs.request_report(team=team, user=owner, format="xlsx", scope={})
    generate_report_task.delay_on_commit(run.pk)
    return run


def assert_done_once(run: ReportRun, task_id: str, total: int, media: Path) -> None:
    """Done by the same task delivered again, with one complete file and nothing else."""
    assert run.status == "done", run.error
    assert (run.attempts, run.claimed_by) == (2, task_id)
    assert run.progress_done == run.progress_total == run.row_count == total
    assert run.progress_percent == 100
    files = [path.relative_to(media).as_posix() for path in media.rglob("*") if path.is_file()]
    assert files == [run.file.name]
    workbook = load_workbook(media / run.file.name, read_only=True)
    header, *rows = workbook["Worksheet"].iter_rows(values_only=True)
    ids = [row[header.index("ID")] for row in rows]
    workbook.close()
    assert len(ids) == total
    assert set(ids) == set(run.team.failure_modes.values_list("id", flat=True))


def test_a_report_whose_pool_process_is_killed_is_delivered_again_and_done(
    big_demo, start_worker, media
):
    """SIGKILL the pool process running the report: the worker requeues the message
    (acks_late, reject_on_worker_lost), a new pool process takes the run over and
    finishes it."""
    team, owner, total = big_demo
    worker = start_worker()
    run = request_report(team, owner)
    wait_for(run, running_with_progress, 240, worker)
    task_id = kill_mid_run(run, lambda: os.kill(worker.pool_process(), signal.SIGKILL))

    wait_for(run, finished, 300, worker)
    assert_done_once(run, task_id, total, media)
    assert "exited with 'signal 9 (SIGKILL)'" in worker.log()


def test_a_report_whose_whole_worker_is_killed_is_done_by_the_next_worker(
    big_demo, start_worker, media
):
    """SIGKILL the worker and its pool: the message stays unacknowledged in Redis, and
    a fresh worker restores it once its visibility timeout has passed, then finishes
    the run. The filesystem broker keeps no copy of a message its consumer took."""
    require(
        settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")),
        "needs Redis (set CELERY_BROKER_URL): the filesystem broker loses a message "
        "whose worker process was killed",
    )
    team, owner, total = big_demo
    # Unacknowledged messages kept under keys of this test's own, so that the fresh
    # worker's short visibility timeout never restores other test processes' messages.
    suffix = uuid.uuid4().hex
    keys = {
        option: f"{option.removesuffix('_key')}-{suffix}"
        for option in ("unacked_key", "unacked_index_key", "unacked_mutex_key")
    }
    try:
        first = start_worker(**keys)
        run = request_report(team, owner)
        wait_for(run, running_with_progress, 240, first)
        task_id = kill_mid_run(run, first.kill)

        time.sleep(2)  # nobody holds the message now: the run stays running
        run.refresh_from_db()
        assert (run.status, run.attempts) == ("running", 1)

        second = start_worker(
            **keys, visibility_timeout=5, unacked_restore_interval=1, unacked_restore_throttle=1
        )
        wait_for(run, finished, 300, second)
        assert_done_once(run, task_id, total, media)
    finally:
        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(*keys.values())
