"""Process metrics for Prometheus: requests by view, Celery tasks by name.

Under gunicorn (several worker processes) and Celery, set PROMETHEUS_MULTIPROC_DIR to a
directory every process of the deployment writes to: prometheus-client then keeps each
process's figures in files there, and /metrics adds them up. Without it (development,
tests) the figures live in this process's default registry.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from celery import signals
from django.http import HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess

#: The metric names this module exports (checked against the shipped alert rules).
REQUESTS = Counter(
    "fmea_http_requests",
    "HTTP requests answered, by view, method and status code.",
    ["view", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "fmea_http_request_duration_seconds",
    "Time to answer a request, by view and method.",
    ["view", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
TASKS = Counter(
    "fmea_celery_tasks",
    "Celery tasks finished, by task name and state (SUCCESS, FAILURE, RETRY).",
    ["task", "state"],
)
TASK_FAILURES = Counter(
    "fmea_celery_task_failures", "Celery tasks that raised, by task name.", ["task"]
)
TASK_SECONDS = Histogram(
    "fmea_celery_task_duration_seconds",
    "Time a Celery task ran, by task name.",
    ["task"],
    buckets=(0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800),
)


def process_registry() -> CollectorRegistry:
    """The registry a scrape reads: every process's files in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


class RequestMetricsMiddleware:
    """Counts and times each request under its URL pattern's name (not its path, so
    ids do not make a label per row); unmatched paths count as `unresolved`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or match._func_path) if match else "unresolved"
        REQUEST_SECONDS.labels(view, request.method).observe(time.perf_counter() - started)
        REQUESTS.labels(view, request.method, str(response.status_code)).inc()
        return response


_task_started: dict[str, float] = {}


@signals.task_prerun.connect
def _task_prerun(task_id=None, **kwargs) -> None:
    _task_started[task_id] = time.perf_counter()


@signals.task_postrun.connect
def _task_postrun(task_id=None, task=None, state=None, **kwargs) -> None:
    started = _task_started.pop(task_id, None)
    if started is not None:
        TASK_SECONDS.labels(task.name).observe(time.perf_counter() - started)
    TASKS.labels(task.name, state or "UNKNOWN").inc()


@signals.task_failure.connect
def _task_failure(sender=None, **kwargs) -> None:
    TASK_FAILURES.labels(sender.name).inc()
