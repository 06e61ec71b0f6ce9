"""What report runs and worksheet imports share as background jobs: the statuses a job
row goes through, how far it has got (for the bar), and how its progress reaches the
pages and the API that poll it.

A job is a row: its status and progress are what pollers read; the Celery task doing
the work only updates it. Each kind claims its row its own way (a report run with a
token per attempt, an import with a plain queued → running UPDATE), so claiming stays
with each kind's service.

The job's own connection is not always usable for progress: on PostgreSQL a CSV report
streams a COPY through it (no other statement may run until the COPY ends), and an
import writes inside one transaction (its updates stay invisible until it commits).
There the progress goes through a second connection in autocommit. SQLite allows one
writer at a time, so inside the job's transaction progress waits for the end.

Jobs never stick. A job whose task cannot be queued (the broker is unreachable) is
failed at once with a message saying so (`enqueue`), and the caller answers 503. A
running job's worker stamps `heartbeat_at` every JOB_HEARTBEAT_SECONDS from a thread of
its own (`Heartbeat`); when a worker dies whole (OOM-killed, its container killed) the
stamps stop, and a beat sweep hands the job back to the queue after
JOB_STALE_AFTER_SECONDS (`take_back_stale`) instead of waiting for the broker's
visibility timeout (an hour). A job still queued after that time is queued again too:
the dead worker may have taken its reserved message with it. Each kind's claim lets
only one attempt run it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


def heartbeat_field() -> models.DateTimeField:
    return models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Last sign of life of the worker running the job (or when the sweep "
        "queued it again); a stale one means the worker is gone.",
    )


def idempotency_key_field() -> models.CharField:
    return models.CharField(
        max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
        null=True,
        blank=True,
        editable=False,
        help_text="The request's Idempotency-Key header: a retry with the same key (same "
        "user) gets this job instead of a new one.",
    )


def idempotency_constraint() -> models.UniqueConstraint:
    return models.UniqueConstraint(
        fields=["requested_by", "idempotency_key"],
        condition=Q(idempotency_key__isnull=False),
        name="%(app_label)s_%(class)s_unique_idempotency_key",
    )


IDEMPOTENCY_KEY_MAX_LENGTH = 100


def request_fingerprint_field() -> models.CharField:
    return models.CharField(
        max_length=64,
        null=True,
        blank=True,
        editable=False,
        help_text="SHA-256 of what the request under the Idempotency-Key asked for: a "
        "retry with that key must ask for the same.",
    )


def request_fingerprint(*parts: object) -> str:
    """What a job request asked for, as a digest: its parameters (as JSON) and, for an
    upload, the digest of the file's bytes."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class IdempotencyKeyReused(Exception):
    """A request reused an Idempotency-Key of the same user for a different request."""

    def __init__(self, job: models.Model) -> None:
        self.job = job
        super().__init__(
            f"This Idempotency-Key was used for a different request ("
            f"{job._meta.verbose_name} {job.pk}). Send a new key with a new request."
        )


def find_by_idempotency_key(
    model: type[models.Model], user, key: str | None, fingerprint: str | None = None
):
    """The user's job made under `key` before, or None. A job made for a different
    request (another fingerprint) is refused: `IdempotencyKeyReused`."""
    if not key:
        return None
    job = model.objects.filter(requested_by=user, idempotency_key=key).first()
    if job is None:
        return None
    if fingerprint is not None and job.request_fingerprint not in (None, fingerprint):
        raise IdempotencyKeyReused(job)
    job.replayed = True
    return job


class QueueUnavailable(Exception):
    """The job's task could not be queued (the broker is unreachable); the job is failed."""

    def __init__(self, job: models.Model) -> None:
        self.job = job
        self.retry_after = settings.JOB_QUEUE_RETRY_AFTER_SECONDS
        super().__init__(queue_failure_message())


def queue_failure_message() -> str:
    return (
        "Not started: the task queue is unreachable. Try again in "
        f"{settings.JOB_QUEUE_RETRY_AFTER_SECONDS} seconds."
    )


# Fail fast: a request waits at most a few connection timeouts, not the default
# publish retries' seconds.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0.2, "interval_step": 0.2}


def enqueue(task, job: models.Model, failed: Callable[[str], dict]) -> None:
    """Queue `task(job.pk)` once the job's row commits; if the broker cannot take it, fail
    the job with `failed(message)` (its kind's columns) and raise QueueUnavailable.

    The key is released with the failure, so a retry with it makes a new job. A job
    found by its key (`replayed`) was queued by the request that made it.
    """
    if job.replayed:
        return

    def publish() -> None:
        try:
            task.apply_async((job.pk,), retry=True, retry_policy=PUBLISH_RETRY)
        except (OperationalError, OSError) as exc:
            logger.warning("Could not queue %s for job %s", task.name, job.pk, exc_info=True)
            type(job).objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
                status=JobStatus.FAILED,
                finished_at=timezone.now(),
                idempotency_key=None,
                **failed(queue_failure_message()),
            )
            job.refresh_from_db()
            raise QueueUnavailable(job) from exc

    # In a request (autocommit) this runs now, and its error reaches the caller.
    transaction.on_commit(publish)


def requeue(task, job_ids: list[int]) -> int:
    """Queue `task` for each job a sweep took back. If the broker is down the jobs stay
    queued, stamped by the sweep: the next sweep after the stale time queues them again."""
    for job_id in job_ids:
        task.apply_async((job_id,))
    return len(job_ids)


def take_back_stale(model: type[models.Model], now: datetime | None = None, **reset) -> list[int]:
    """Put back in the queue the jobs whose worker stopped stamping its heartbeat (running
    ones) and the queued ones whose message may be lost (`message_lost`). Their ids, for the
    caller to queue; each was reset by one conditional UPDATE (with `reset` columns), so
    two sweeps never both take the same job, and the attempt that had it can no longer
    finish it (its claim is gone)."""
    now = now or timezone.now()
    lost = worker_gone(now) | message_lost(now)
    taken = []
    for pk in model.objects.filter(lost).values_list("pk", flat=True)[:100]:
        reset_one = model.objects.filter(lost, pk=pk).update(
            status=JobStatus.QUEUED, heartbeat_at=now, **reset
        )
        if reset_one:
            taken.append(pk)
    return taken


def stale_before(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS)


def message_lost(now: datetime) -> Q:
    """Queued jobs whose task may be gone: one a sweep put back but could not queue, or
    one never claimed for too long (a worker killed whole takes the message it had
    reserved but not started with it, until the broker's hour-long visibility timeout).
    Queuing such a job again is harmless: only one attempt can claim it."""
    stale = stale_before(now)
    return Q(status=JobStatus.QUEUED) & (
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, created_at__lt=stale)
    )


def worker_gone(now: datetime) -> Q:
    """Running jobs whose worker has not stamped the heartbeat for too long."""
    stale = stale_before(now)
    return Q(status=JobStatus.RUNNING) & (
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, started_at__lt=stale)
    )


class Heartbeat:
    """`with Heartbeat(Model, pk, **where):` stamps the job's `heartbeat_at` every
    JOB_HEARTBEAT_SECONDS from a thread (with its own database connection) while the
    work runs, however long a single step of it takes."""

    def __init__(self, model: type[models.Model], pk: int, **where) -> None:
        self.rows = model.objects.filter(pk=pk, status=JobStatus.RUNNING, **where)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.beat, name=f"heartbeat-{pk}", daemon=True)

    def beat(self) -> None:
        try:
            while not self.stopped.wait(settings.JOB_HEARTBEAT_SECONDS):
                try:
                    self.rows.update(heartbeat_at=timezone.now())
                except Exception:  # a busy database: the next beat tries again
                    logger.warning("Could not stamp a job's heartbeat", exc_info=True)
        finally:
            connections.close_all()

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopped.set()
        self.thread.join()


class JobRowMixin:
    """Where a job row (report run, worksheet import) stands: finished or not (pages
    poll until it is), and how far it has got, for the bar."""

    # True on a job found by its idempotency key: already queued, not to be queued again.
    replayed = False

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def progress_percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))


class ProgressWriter:
    """`writer(**columns)` updates the job's row, at most every `interval` seconds;
    `where` narrows the update (e.g. to the attempt that holds the row)."""

    def __init__(
        self, model: type[models.Model], pk: int, *, interval: float = 0.5, **where
    ) -> None:
        self.model, self.pk, self.interval, self.where = model, pk, interval, where
        self.last = 0.0
        self.apart = None

    def __call__(self, force: bool = False, **values) -> None:
        now = time.monotonic()
        if not force and now - self.last < self.interval:
            return
        self.last = now
        if connection.vendor == "postgresql":
            self._write_apart(values)
        elif not connection.in_atomic_block:
            self.model.objects.filter(pk=self.pk, **self.where).update(**values)

    def _write_apart(self, values: dict) -> None:
        if self.apart is None:
            self.apart = connections.create_connection(DEFAULT_DB_ALIAS)
        meta = self.model._meta
        assignments = ", ".join(f"{meta.get_field(name).column} = %s" for name in values)
        conditions = "".join(f" AND {meta.get_field(name).column} = %s" for name in self.where)
        with self.apart.cursor() as cursor:
            cursor.execute(
                f"UPDATE {meta.db_table} SET {assignments} WHERE id = %s{conditions}",
                [*values.values(), self.pk, *(str(value) for value in self.where.values())],
            )

    def close(self) -> None:
        if self.apart is not None:
            self.apart.close()
            self.apart = None
