"""Report runs: requesting one, and generating it exactly once.

`generate(run_id)` is what the Celery task calls. It claims the run with a conditional
UPDATE (queued → running), so a redelivered or duplicated task finds nothing to do; it
writes the report to a local temporary file, and only a complete file is saved to
Django's storage (local MEDIA_ROOT, or S3-compatible storage by settings alone). A
failure records its error on the run and leaves no file behind.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from registry.models import JobStatus, ReportFormat, ReportRun, Team
from registry.reports import changes, csv, pdf, xlsx
from registry.reports.context import ReportContext
from registry.reports.progress import ProgressWriter
from registry.reports.scope import Scope

logger = logging.getLogger(__name__)

WRITERS = {ReportFormat.CSV: csv, ReportFormat.XLSX: xlsx, ReportFormat.PDF: pdf}
PROGRESS_INTERVAL_SECONDS = 0.5


class ReportError(Exception):
    """A report that cannot be made as asked; the message is for the person who asked."""


def request_report(*, team: Team, user, format: str, scope: dict, schedule=None) -> ReportRun:
    """Create a queued run and queue its generation when the transaction commits."""
    from registry.tasks import generate_report_task

    run = ReportRun(team=team, requested_by=user, format=format, schedule=schedule, **scope)
    run.full_clean()
    run.save()
    generate_report_task.delay_on_commit(run.pk)
    return run


def claim(run_id: int) -> bool:
    """Take the run: queued → running, in one conditional UPDATE.

    Two workers given the same run cannot both win. A run left "running" by a worker
    that died (longer ago than any task may run) can be claimed again.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.REPORT_STALE_AFTER_SECONDS)
    claimed = ReportRun.objects.filter(
        Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, started_at__lt=stale),
        pk=run_id,
    ).update(status=JobStatus.RUNNING, started_at=now, progress_done=0, error="")
    return claimed == 1


class ProgressRecorder(ProgressWriter):
    """Rows done of a running report."""

    def __init__(self, run_id: int) -> None:
        super().__init__(ReportRun, run_id, interval=PROGRESS_INTERVAL_SECONDS, status="running")

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


def generate(run_id: int) -> str:
    """Generate the run's file; "done", "failed", or "skipped" when not claimable."""
    if not claim(run_id):
        return "skipped"
    run = ReportRun.objects.select_related("team", "requested_by", "schedule").get(pk=run_id)
    stored = None
    progress = ProgressRecorder(run_id)
    try:
        context = build_context(run)
        check_limits(run, context.total)
        ReportRun.objects.filter(pk=run_id).update(progress_total=context.total)
        writer = WRITERS[ReportFormat(run.format)]
        with tempfile.TemporaryFile(prefix=f"report-{run.pk}-") as temporary:
            rows = writer.write(context, temporary, progress)
            size = temporary.tell()
            temporary.seek(0)
            stored = default_storage.save(storage_name(run), File(temporary))
        with transaction.atomic():
            finished = ReportRun.objects.filter(pk=run_id, status=JobStatus.RUNNING).update(
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
        if not finished:  # reclaimed as stale meanwhile: the other attempt owns the run
            default_storage.delete(stored)
            return "skipped"
        return "done"
    except Exception as exc:
        logger.exception("Report run %s failed", run_id)
        if stored:
            default_storage.delete(stored)
        ReportRun.objects.filter(pk=run_id).update(
            status=JobStatus.FAILED, file="", error=describe(exc), finished_at=timezone.now()
        )
        return "failed"
    finally:
        progress.close()
