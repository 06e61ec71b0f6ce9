"""Worksheet imports as job rows: small uploads are imported in the request, large ones
by a Celery task (`imports.tasks`) that reports progress on the row.

The upload is stored under a generated name (`imports/<uuid>.upload`): the client's
file name is kept for display only and never becomes part of a path.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from registry.imports.reading import Refused, check_size
from registry.imports.service import ImportResult, failed, import_worksheet
from registry.imports.validation import Problem
from registry.jobs import (
    Heartbeat,
    ProgressWriter,
    find_by_idempotency_key,
    request_fingerprint,
)
from registry.jobs import take_back_stale as take_back
from registry.models import JobStatus, Team, WorksheetImport

logger = logging.getLogger(__name__)


def display_name(name: str | None) -> str:
    """The last part of a client's file name, for showing only."""
    base = os.path.basename((name or "").replace("\\", "/"))
    return "".join(ch for ch in base if ch.isprintable())[:200]


def upload_digest(upload) -> str:
    """SHA-256 of an upload's bytes, read in chunks; the upload is rewound after."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def start_import(
    *,
    team: Team,
    user,
    upload,
    source_name: str,
    dry_run: bool,
    idempotency_key: str | None = None,
):
    """Create the job; import now when the upload is small, else store the upload.

    `upload` is a file object with a `size` (Django's UploadedFile). Returns the job:
    finished when imported inline or refused for its size, else queued with its upload
    stored, for the caller to queue the import task (`imports.tasks.queue_import`).
    With an idempotency key, the user's job made under that key, if any, instead: a
    retried upload is not imported twice. The same key with another file or options is
    refused (`IdempotencyKeyReused`).
    """
    fingerprint = None
    if idempotency_key:
        fingerprint = request_fingerprint(team.pk, dry_run, source_name, upload_digest(upload))
    existing = find_by_idempotency_key(WorksheetImport, user, idempotency_key, fingerprint)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            job = WorksheetImport.objects.create(
                team=team,
                requested_by=user,
                source_name=display_name(source_name),
                dry_run=dry_run,
                idempotency_key=idempotency_key or None,
                request_fingerprint=fingerprint,
            )
    except IntegrityError:
        # The same key in a concurrent request: that request's job is the one.
        existing = find_by_idempotency_key(WorksheetImport, user, idempotency_key, fingerprint)
        if existing is None:
            raise
        return existing
    try:
        check_size(upload.size)
    except Refused as exc:
        finish(job, failed([Problem(None, None, str(exc))], dry_run))
        job.refresh_from_db()
        return job
    data = upload.read()
    if len(data) <= settings.IMPORT_INLINE_MAX_BYTES:
        WorksheetImport.objects.filter(pk=job.pk).update(
            status=JobStatus.RUNNING, started_at=timezone.now()
        )
        execute(job, data)
    else:
        job.background = True
        job.upload.save(f"{uuid.uuid4().hex}.upload", ContentFile(data), save=True)
    job.refresh_from_db()
    return job


def finish(job: WorksheetImport, result: ImportResult) -> None:
    WorksheetImport.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE if result.ok else JobStatus.FAILED,
        errors=result.errors(),
        summary=result.summary,
        row_count=result.row_count,
        progress_done=result.row_count if result.ok else 0,
        progress_total=result.row_count,
        finished_at=timezone.now(),
    )


class ProgressRecorder(ProgressWriter):
    """Checking is the first half of the bar, writing (inside the import's transaction)
    the second."""

    def __init__(self, job_id: int) -> None:
        super().__init__(WorksheetImport, job_id)

    def __call__(self, phase: str, done: int, total: int) -> None:
        position = done if phase == "checking" else total + done
        super().__call__(progress_done=position, progress_total=2 * total)


def run(import_id: int) -> str:
    """The Celery task's work: claim the job, import the stored upload, remove it."""
    now = timezone.now()
    claimed = WorksheetImport.objects.filter(pk=import_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    if not claimed:
        return "skipped"
    job = WorksheetImport.objects.select_related("team", "requested_by").get(pk=import_id)
    try:
        with job.upload.open("rb") as handle:
            data = handle.read()
    except OSError as exc:
        fail(job, exc)
        return "failed"
    progress = ProgressRecorder(job.pk)
    try:
        with Heartbeat(WorksheetImport, job.pk):
            outcome = execute(job, data, progress)
    finally:
        progress.close()
    if job.upload:
        default_storage.delete(job.upload.name)
        WorksheetImport.objects.filter(pk=import_id).update(upload="")
    return outcome


def execute(job: WorksheetImport, data: bytes, progress=None) -> str:
    """Import `data` for the job and record the outcome on it."""
    try:
        result = import_worksheet(
            team=job.team, user=job.requested_by, data=data, dry_run=job.dry_run, progress=progress
        )
    except Exception as exc:
        logger.exception("Worksheet import %s failed", job.pk)
        fail(job, exc)
        return "failed"
    finish(job, result)
    return "done" if result.ok else "refused"


def failed_columns(message: str) -> dict:
    """An import failed before it started: its one problem."""
    return {"errors": [{"row": None, "column": None, "message": message}]}


def take_back_stale(now=None) -> list[int]:
    """Imports whose worker died whole, put back in the queue (`jobs.take_back_stale`).
    The dead worker's transaction died with its connection: nothing of it was written,
    and its stored upload is still there to read."""
    return take_back(WorksheetImport, now, progress_done=0)


def fail(job: WorksheetImport, exc: Exception) -> None:
    message = f"The import failed: {type(exc).__name__}: {exc}"
    WorksheetImport.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED, finished_at=timezone.now(), **failed_columns(message)
    )
