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
"""

from __future__ import annotations

import time

from django.db import DEFAULT_DB_ALIAS, connection, connections, models


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class JobRowMixin:
    """Where a job row (report run, worksheet import) stands: finished or not (pages
    poll until it is), and how far it has got, for the bar."""

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
