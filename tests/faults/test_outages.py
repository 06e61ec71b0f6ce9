"""Faults of the job pipeline, on a Redis server of the test's own (started, stopped and
started again by the test on a port of its own, append-only as docker-compose runs it)
and real `celery worker` processes:

- the broker is down when a report is requested: the API answers 503 and fails the run,
  and the retry once Redis is back is generated;
- Redis drops while a worker runs a report: the run ends done and the same worker
  process serves the next report;
- a worker is killed whole mid-report: the beat sweep hands the run to another worker
  within seconds (a small JOB_STALE_AFTER_SECONDS), not after the broker's hour.
"""

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis
from rest_framework.test import APIClient

from registry.models import ReportRun
from registry.reports import runs
from registry.reports.tasks import queue_report, requeue_stale_report_runs_task
from tests.conftest import require
from tests.faults.test_worker_kill import (
    finished,
    kill_mid_run,
    running_with_progress,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)

# The workers stamp their heartbeat every second; the sweep takes back a run after 5.
WORKER_ENV = {"JOB_HEARTBEAT_SECONDS": "1", "LOG_LEVEL": "INFO"}


class RedisServer:
    """One redis-server process on a free port, which the test stops and starts."""

    def __init__(self, directory: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.directory = directory
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "yes", "--dir", str(self.directory)),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        """SIGTERM: Redis syncs its append-only file and exits."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture
def own_redis(postgres, tmp_path):
    """A Redis of the test's own, and the test process's Celery app publishing to it.
    On PostgreSQL: several processes (workers, their heartbeats, the sweep) write at once."""
    require(shutil.which("redis-server") is not None, "needs redis-server on the PATH")
    from fmea.celery import app

    server = RedisServer(tmp_path)
    server.start()
    names = ("broker_url", "broker_read_url", "broker_write_url")
    previous = {name: app.conf[name] for name in (*names, "broker_transport")}
    previous_options = app.conf.broker_transport_options

    def use(urls: dict, options: dict) -> None:
        app.conf.update({**urls, "broker_transport_options": options})
        # Publishing reuses pooled connections made for the broker of the moment.
        app._pool = None
        app.amqp._producer_pool = None

    # The transport by the URL's scheme (not the embedded broker's, fmea.broker).
    use(
        {**{name: server.url for name in names}, "broker_transport": None},
        {"socket_connect_timeout": 3},
    )
    yield server
    use(previous, previous_options)
    server.stop()


@pytest.fixture
def fast_sweep(settings):
    settings.JOB_STALE_AFTER_SECONDS = 5


def request_report(team, owner, format: str = "xlsx") -> ReportRun:
    run = runs.request_report(team=team, user=owner, format=format, scope={})
    queue_report(run)
    return run


def test_a_report_requested_while_the_broker_is_down_fails_and_its_retry_is_done(
    big_demo, start_worker, own_redis
):
    team, owner, _ = big_demo
    worker = start_worker(broker_url=own_redis.url, env=WORKER_ENV)
    client = APIClient()
    client.force_authenticate(owner)
    body = {"team": team.pk, "format": "csv", "min_rpn": 900}
    own_redis.stop()
    started = time.monotonic()
    down = client.post("/api/v1/reports/", body, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert time.monotonic() - started < 15  # the connect timeout, not a hang
    assert down.status_code == 503 and int(down["Retry-After"]) > 0
    assert ReportRun.objects.get().status == "failed"

    own_redis.start()
    retry = client.post("/api/v1/reports/", body, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert retry.status_code == 202
    run = ReportRun.objects.get(pk=retry.json()["id"])
    wait_for(run, finished, 120, worker)
    assert run.status == "done", run.error
    assert ReportRun.objects.filter(status="done").count() == 1


def test_a_worker_survives_redis_dropping_under_a_running_report(
    big_demo, start_worker, own_redis, media
):
    """Redis stops mid-report and starts again: the run ends done, one file, and the
    same worker process serves the next report."""
    team, owner, total = big_demo
    worker = start_worker(broker_url=own_redis.url, env=WORKER_ENV)
    run = request_report(team, owner)
    wait_for(run, running_with_progress, 240, worker)
    own_redis.stop()
    time.sleep(3)
    own_redis.start()
    wait_for(run, finished, 300, worker)
    assert run.status == "done", run.error
    assert run.row_count == total

    time.sleep(2)  # long enough for a worker that lost its connection to exit
    assert worker.process.poll() is None, worker.log()
    after = request_report(team, owner, format="csv")
    wait_for(after, finished, 120, worker)
    assert after.status == "done", after.error
    assert worker.process.poll() is None, worker.log()
    assert "AttributeError" not in worker.log()
    files = [path for path in media.rglob("*") if path.is_file()]
    assert len(files) == 2


def test_a_worker_survives_a_report_ending_while_redis_is_down(
    big_demo, start_worker, own_redis, media
):
    """The report ends (and its message is acknowledged) while Redis is stopped: the
    worker reconnects when Redis is back and serves the next report."""
    team, owner, _ = big_demo
    worker = start_worker(broker_url=own_redis.url, env=WORKER_ENV)
    run = request_report(team, owner)
    wait_for(run, running_with_progress, 240, worker)
    own_redis.stop()
    wait_for(run, finished, 300, worker)
    assert run.status == "done", run.error
    own_redis.start()
    after = request_report(team, owner, format="csv")
    wait_for(after, finished, 120, worker)
    assert after.status == "done", after.error
    assert worker.process.poll() is None, worker.log()
    assert "AttributeError" not in worker.log()


def test_a_report_whose_whole_worker_is_killed_is_taken_over_within_seconds(
    big_demo, start_worker, own_redis, media, fast_sweep
):
    """SIGKILL the worker and its pool mid-report: its heartbeat stops, the sweep (as
    beat runs it) queues the run again and a second worker finishes it. Redis would
    hand the dead worker's message back only after its visibility timeout (an hour)."""
    team, owner, total = big_demo
    first = start_worker(broker_url=own_redis.url, env=WORKER_ENV, visibility_timeout=3600)
    run = request_report(team, owner)
    wait_for(run, running_with_progress, 240, first)
    dead_task = kill_mid_run(run, first.kill)
    killed_at = time.monotonic()

    second = start_worker(broker_url=own_redis.url, env=WORKER_ENV, visibility_timeout=3600)
    while time.monotonic() - killed_at < 300:
        requeue_stale_report_runs_task()
        run.refresh_from_db()
        if run.status in ("done", "failed"):
            break
        time.sleep(1)
    assert run.status == "done", f"{run.status} {run.error}\n{second.log()}"
    assert time.monotonic() - killed_at < 300
    assert run.attempts == 2 and run.claimed_by != dead_task
    assert run.row_count == run.progress_done == total
    files = [path.relative_to(media).as_posix() for path in media.rglob("*") if path.is_file()]
    assert files == [run.file.name]
