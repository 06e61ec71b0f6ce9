"""Report runs: requesting one, and generating it exactly once.

`generate(run_id, task_id)` is what the Celery task calls. It claims the run with a
conditional UPDATE (queued → running), so a duplicated task finds nothing to do, while
the same task delivered again because the worker running it died takes the run over.
Each claim has its own token, and only the attempt holding the token may finish the
run. The report is written to a local temporary file, and only a complete file is saved
to Django's storage (local MEDIA_ROOT, or S3-compatible storage by settings alone). A
failure records its error on the run and leaves no file behind.
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from registry.jobs import (
    Heartbeat,
    ProgressWriter,
    find_by_idempotency_key,
    request_fingerprint,
    worker_gone,
)
from registry.jobs import take_back_stale as take_back
from registry.models import JobStatus, ReportFormat, ReportRun, Team
from registry.reports import changes
from registry.reports.context import ReportContext
from registry.reports.scope import Scope
from registry.reports.writers import WRITERS
from registry.webhooks.events import emit_report_ready

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL_SECONDS = 0.5
# A task whose worker dies this many times (e.g. killed for memory) fails its run
# instead of being delivered again forever.
MAX_ATTEMPTS = 3
GAVE_UP = (
    f"The worker generating the report stopped {MAX_ATTEMPTS} times (for example, out of "
    "memory); narrow the scope and retry."
)


class ReportError(Exception):
    """A report that cannot be made as asked; the message is for the person who asked."""


def request_report(
    *,
    team: Team,
    user,
    format: str,
    scope: dict,
    schedule=None,
    idempotency_key: str | None = None,
) -> ReportRun:
    """Create a queued run (checked like any other write); the caller queues
    `generate_report_task` for it (`reports.tasks.queue_report`).

    With an idempotency key, the user's run made under that key, if any, instead: a
    client retrying a request it got no answer to makes no second report. The same key
    for another report is refused (`IdempotencyKeyReused`).
    """
    fingerprint = request_fingerprint(team.pk, format, scope, schedule and schedule.pk)
    existing = find_by_idempotency_key(ReportRun, user, idempotency_key, fingerprint)
    if existing is not None:
        return existing
    run = ReportRun(
        team=team,
        requested_by=user,
        format=format,
        schedule=schedule,
        idempotency_key=idempotency_key or None,
        request_fingerprint=fingerprint if idempotency_key else None,
        **scope,
    )
    run.full_clean(exclude=["idempotency_key"])
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError:
        # The same key in a concurrent request: that request's run is the one.
        existing = find_by_idempotency_key(ReportRun, user, idempotency_key, fingerprint)
        if existing is None:
            raise
        return existing
    return run


def failed_columns(message: str) -> dict:
    """A run failed before it started: its error."""
    return {"error": message}


def take_back_stale(now=None) -> list[int]:
    """Runs whose worker died whole, put back in the queue (`jobs.take_back_stale`); a
    run whose workers died MAX_ATTEMPTS times is failed instead, as `give_up` does."""
    now = now or timezone.now()
    ReportRun.objects.filter(worker_gone(now), attempts__gte=MAX_ATTEMPTS).update(
        status=JobStatus.FAILED,
        error=GAVE_UP,
        finished_at=now,
    )
    return take_back(ReportRun, now, claimed_by="", claim_token="")


def claim(run_id: int, task_id: str | None = None) -> str | None:
    """Take the run for one attempt, in one conditional UPDATE; its token, or None.

    Of two tasks given the same run, only one takes it. A run left "running" is taken
    over by the same task delivered again because its worker died (acks_late and
    reject_on_worker_lost requeue the message), or by any task once it is older than any
    task may run. The last attempt to take the run holds its token: only it can finish.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.REPORT_STALE_AFTER_SECONDS)
    takeover = Q(status=JobStatus.RUNNING, started_at__lt=stale)
    if task_id:
        takeover |= Q(status=JobStatus.RUNNING, claimed_by=task_id, attempts__lt=MAX_ATTEMPTS)
    token = uuid.uuid4().hex
    claimed = ReportRun.objects.filter(Q(status=JobStatus.QUEUED) | takeover, pk=run_id).update(
        status=JobStatus.RUNNING,
        claimed_by=task_id or "",
        claim_token=token,
        attempts=F("attempts") + 1,
        started_at=now,
        heartbeat_at=now,
        progress_done=0,
        error="",
    )
    return token if claimed else None


def give_up(run_id: int, task_id: str | None) -> str:
    """Fail a run whose task keeps dying with its worker, so that the message stops."""
    if not task_id:
        return "skipped"
    failed = ReportRun.objects.filter(
        pk=run_id, status=JobStatus.RUNNING, claimed_by=task_id, attempts__gte=MAX_ATTEMPTS
    ).update(
        status=JobStatus.FAILED,
        error=GAVE_UP,
        finished_at=timezone.now(),
    )
    return "failed" if failed else "skipped"


class ProgressRecorder(ProgressWriter):
    """Rows done of a running report."""

    def __init__(self, run_id: int, token: str) -> None:
        # Only while this attempt holds the run: one taken over must not move the bar.
        super().__init__(
            ReportRun,
            run_id,
            interval=PROGRESS_INTERVAL_SECONDS,
            status="running",
            claim_token=token,
        )

    def __call__(self, done: int) -> None:
        super().__call__(progress_done=done)


def storage_name(run: ReportRun) -> str:
    """Where the file goes: made of ids and the time only, never of user input."""
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return f"reports/team-{run.team_id}/report-{run.pk}-{stamp}.{run.format}"


def previous_run(run: ReportRun) -> ReportRun | None:
    """The schedule's latest completed run before this one."""
    return (
        ReportRun.objects.filter(
            schedule_id=run.schedule_id,
            status=JobStatus.DONE,
            snapshot__isnull=False,
            created_at__lte=run.created_at,
        )
        .exclude(pk=run.pk)
        .order_by("-created_at", "-id")
        .first()
    )


def build_context(run: ReportRun) -> ReportContext:
    scope = Scope.of(run)
    context = ReportContext(
        run=run,
        team=run.team,
        scope=scope,
        generated_at=timezone.now(),
        total=scope.failure_modes().count(),
    )
    if run.schedule_id is not None:
        context.snapshot = changes.snapshot(scope)
        before = previous_run(run)
        context.changes = changes.compare(
            before.snapshot if before else None, context.snapshot, before
        )
    return context


def check_limits(run: ReportRun, total: int) -> None:
    limit = {
        ReportFormat.PDF: settings.REPORT_PDF_MAX_ROWS,
        ReportFormat.XLSX: settings.REPORT_XLSX_MAX_ROWS,
    }.get(run.format)
    if limit is not None and total > limit:
        raise ReportError(
            f"{total:,} failure modes are in scope; a {run.get_format_display()} report holds "
            f"at most {limit:,}. Narrow the scope, or ask for a CSV report."
        )


def describe(exc: BaseException) -> str:
    if isinstance(exc, ReportError):
        return str(exc)
    if isinstance(exc, SoftTimeLimitExceeded):
        return "The report took longer than the time limit; narrow the scope and retry."
    return f"The report could not be generated: {type(exc).__name__}: {exc}"


def generate(run_id: int, task_id: str | None = None) -> str:
    """Generate the run's file; "done", "failed", or "skipped" when not claimable.

    `task_id` is the Celery id of the calling task: its redelivery may take the run over.
    """
    token = claim(run_id, task_id)
    if token is None:
        return give_up(run_id, task_id)
    run = ReportRun.objects.select_related("team", "requested_by", "schedule").get(pk=run_id)
    with Heartbeat(ReportRun, run_id, claim_token=token):
        return write(run, token)


def write(run: ReportRun, token: str) -> str:
    """Write the claimed run's file and finish the run, while this attempt holds it."""
    run_id = run.pk
    mine = ReportRun.objects.filter(pk=run_id, status=JobStatus.RUNNING, claim_token=token)
    stored = None
    progress = ProgressRecorder(run_id, token)
    try:
        context = build_context(run)
        check_limits(run, context.total)
        mine.update(progress_total=context.total)
        writer = WRITERS[run.format]
        with tempfile.TemporaryFile(prefix=f"report-{run.pk}-") as temporary:
            rows = writer.write(context, temporary, progress)
            size = temporary.tell()
            temporary.seek(0)
            stored = default_storage.save(storage_name(run), File(temporary))
        with transaction.atomic():
            finished = mine.update(
                status=JobStatus.DONE,
                file=stored,
                file_size=size,
                row_count=rows,
                progress_done=rows,
                progress_total=rows,
                snapshot=context.snapshot,
                changes=context.changes,
                finished_at=timezone.now(),
            )
            if finished:
                emit_report_ready(run_id)
        if not finished:  # taken over meanwhile: the other attempt owns the run
            default_storage.delete(stored)
            return "skipped"
        return "done"
    except Exception as exc:
        logger.exception("Report run %s failed", run_id)
        if stored:
            default_storage.delete(stored)
        # Only while this attempt holds the run: another may have finished it meanwhile.
        mine.update(
            status=JobStatus.FAILED, file="", error=describe(exc), finished_at=timezone.now()
        )
        return "failed"
    finally:
        progress.close()
