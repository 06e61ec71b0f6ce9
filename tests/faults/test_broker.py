"""Faults: the embedded (filesystem) broker under a worker that polls while the app
publishes. A worker must never take a message that is still being written: kombu's own
transport let it take an empty file, and the worker stopped on it with the message lost."""

import multiprocessing
import os
import subprocess
import sys
import time

from kombu import Connection

TRANSPORT = "fmea.broker:Transport"


def _connection(folder) -> Connection:
    queue = str(folder / "queue")
    return Connection(
        "filesystem://",
        transport=TRANSPORT,
        transport_options={
            "data_folder_in": queue,
            "data_folder_out": queue,
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
        },
    )


def test_the_app_and_its_workers_publish_through_the_transport_that_writes_whole(tmp_path):
    """A fresh machine's settings (no CELERY_BROKER_URL) pick this transport."""
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "DATABASE_URL")}
    env.update(DJANGO_SETTINGS_MODULE="fmea.settings", FMEA_VAR_DIR=str(tmp_path), DEBUG="1")
    probe = (
        "import django; django.setup(); from fmea.celery import app; "
        "print(type(app.connection_for_write().transport).__module__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "fmea.broker"


def _publish(folder, messages) -> None:
    with _connection(folder) as connection:
        queue = connection.SimpleQueue("reports")
        for message in messages:
            queue.put(message)


def test_a_polling_worker_takes_each_message_whole_never_half_written(tmp_path):
    for name in ("queue", "processed", "control"):
        (tmp_path / name).mkdir()
    # Large enough that serialising and writing one takes tens of milliseconds.
    messages = [{"n": n, "rows": list(range(300_000))} for n in range(5)]
    taken: list[dict] = []
    with _connection(tmp_path) as connection:
        queue = connection.SimpleQueue("reports")  # declared before the app publishes
        # The app publishes from its own process, as the web process does.
        app = multiprocessing.get_context("fork").Process(
            target=_publish, args=(tmp_path, messages)
        )
        app.start()
        deadline = time.monotonic() + 60
        # The worker polls as fast as it can; kombu's transport failed here with
        # JSONDecodeError on an empty file, which stops a real worker.
        while len(taken) < len(messages) and time.monotonic() < deadline:
            try:
                message = queue.get_nowait()
            except queue.Empty:
                continue
            taken.append(message.payload)
            message.ack()
        app.join(timeout=60)

    assert app.exitcode == 0
    assert [m["n"] for m in taken] == [0, 1, 2, 3, 4]
    assert all(m["rows"][-1] == 299_999 and len(m["rows"]) == 300_000 for m in taken)
    # Nothing half written is left behind in the queue folder.
    assert list((tmp_path / "queue").iterdir()) == []
