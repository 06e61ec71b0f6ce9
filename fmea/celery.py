"""The Celery app; its configuration comes from Django settings (CELERY_*)."""

import logging
import os
import time

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fmea.settings")

from fmea import metrics  # noqa: F401 (counts and times every task)

app = Celery("fmea")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each area keeps its tasks beside its service (`<package>.tasks`); the callers queue them.
app.autodiscover_tasks(
    ["registry.analysis", "registry.reports", "registry.imports", "registry.webhooks"]
)


# Every task logs its start, end, duration and outcome.
_started: dict[str, float] = {}
_task_logger = logging.getLogger("fmea.tasks")


@signals.task_prerun.connect
def _task_started(task_id=None, task=None, **kwargs) -> None:
    _started[task_id] = time.perf_counter()
    _task_logger.info("task %s started", task.name, extra={"task": task.name, "task_id": task_id})


@signals.task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **kwargs) -> None:
    started = _started.pop(task_id, None)
    duration = round((time.perf_counter() - started) * 1000) if started else None
    _task_logger.info(
        "task %s ended: %s in %s ms",
        task.name,
        state,
        duration,
        extra={"task": task.name, "task_id": task_id, "duration_ms": duration, "outcome": state},
    )


@signals.task_failure.connect
def _task_failed(task_id=None, exception=None, sender=None, **kwargs) -> None:
    _task_logger.error(
        "task %s failed: %r",
        sender.name,
        exception,
        extra={"task": sender.name, "task_id": task_id, "outcome": "FAILURE"},
    )
