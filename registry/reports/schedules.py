"""Scheduled reports: each firing of a schedule's beat entry makes a run, generates it
and emails the recipients the file (or a link to it, above a size), opening with what
changed since the schedule's previous run.

A firing is identified by its Celery task id: a redelivered firing finds its run
instead of making a second one, generation is claimed once, and the email is claimed
with a conditional UPDATE of `emailed_at`, so recipients get one email per firing.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from registry.models import JobStatus, ReportRun, ReportSchedule
from registry.reports import changes, runs
from registry.reports.scope import Scope
from registry.reports.writers import CONTENT_TYPES

logger = logging.getLogger(__name__)


def fire(schedule_id: int, task_id: str | None = None) -> str:
    """Make (or find) this firing's run, generate it, and email it once."""
    schedule = ReportSchedule.objects.select_related("team").filter(pk=schedule_id).first()
    if schedule is None:
        return "no such schedule"
    if not schedule.enabled:
        return "disabled"
    task_id = task_id or uuid.uuid4().hex
    run = ReportRun.objects.filter(task_id=task_id).first()
    if run is None:
        run = ReportRun(
            team=schedule.team,
            schedule=schedule,
            task_id=task_id,
            format=schedule.format,
            requested_by=schedule.created_by,
            **schedule.scope_dict(),
        )
        # Applications deleted since the schedule was saved no longer count.
        run.applications = [pk for pk in run.applications if pk in known_applications(run)]
        try:
            with transaction.atomic():
                run.save()
        except IntegrityError:  # the same firing, delivered twice at once
            run = ReportRun.objects.get(task_id=task_id)
    runs.generate(run.pk, task_id=task_id)
    run.refresh_from_db()
    if run.status != JobStatus.DONE:
        return run.status
    return "emailed" if send_email(run) else "already emailed"


def known_applications(run: ReportRun) -> set[int]:
    return set(run.team.applications.filter(pk__in=run.applications).values_list("pk", flat=True))


def download_url(run: ReportRun) -> str:
    return settings.REPORT_LINK_BASE_URL + reverse("reportrun-download", args=[run.pk])


def email_body(run: ReportRun) -> str:
    schedule = run.schedule
    lines = [
        f"FMEA risk report “{schedule.name}” for {run.team.name}",
        f"Generated {run.finished_at:%Y-%m-%d %H:%M} UTC · {run.row_count:,} failure modes"
        f" · {run.get_format_display()}",
        "",
    ]
    lines += changes.summary_lines(run.changes)
    lines += ["", "Scope:"]
    lines += [f"  {label}: {value}" for label, value in Scope.of(run).describe()]
    lines.append("")
    if attach(run):
        lines.append(f"The report is attached ({run.file_size:,} bytes).")
    else:
        lines.append(
            f"The report is {run.file_size:,} bytes, too large to attach; download it "
            f"(team members only): {download_url(run)}"
        )
    lines += ["", "— FMEA risk register"]
    return "\n".join(lines)


def attach(run: ReportRun) -> bool:
    return run.file_size <= settings.REPORT_EMAIL_ATTACHMENT_MAX_BYTES


def send_email(run: ReportRun) -> bool:
    """Email the run's recipients once; False if this run was emailed already."""
    claimed = ReportRun.objects.filter(pk=run.pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    try:
        message = EmailMessage(
            subject=f"FMEA risk report: {run.schedule.name} ({run.team.name})",
            body=email_body(run),
            to=run.schedule.recipient_list,
        )
        if attach(run):
            with run.file.open("rb") as handle:
                message.attach(run.download_name, handle.read(), CONTENT_TYPES[run.format])
        message.send()
    except Exception:
        # Not sent: release the claim so that a retry of the firing sends it.
        ReportRun.objects.filter(pk=run.pk).update(emailed_at=None)
        raise
    return True
