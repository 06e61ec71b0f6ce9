"""Old report runs are deleted with their files, so storage does not grow for ever.

A run is kept for REPORT_RETENTION_DAYS after it was made (0 keeps every run), except
each schedule's latest done run: the next firing compares against its snapshot. Runs
still queued or running are not deleted; a run left "running" for a day, by a worker
whose task was lost with it, is marked failed so that it stops showing progress. The
files go with the rows (django-cleanup deletes them once the transaction commits).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from registry.models import JobStatus, ReportRun

# Far beyond any task's time limit and the broker's redelivery of a dead worker's task.
ABANDONED_AFTER = timedelta(days=1)


def fail_abandoned_runs(now: datetime | None = None) -> int:
    """Mark failed the runs still "running" long after any worker could be on them."""
    now = now or timezone.now()
    return ReportRun.objects.filter(
        status=JobStatus.RUNNING, started_at__lt=now - ABANDONED_AFTER
    ).update(
        status=JobStatus.FAILED,
        error="The worker generating the report stopped and the task was lost; "
        "request the report again.",
        finished_at=now,
    )


def prune_report_runs(now: datetime | None = None) -> int:
    """Delete runs past the retention period; the number of runs deleted."""
    fail_abandoned_runs(now)
    days = settings.REPORT_RETENTION_DAYS
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    latest_of_schedule = (
        ReportRun.objects.filter(schedule_id=OuterRef("schedule_id"), status=JobStatus.DONE)
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )
    expired = (
        ReportRun.objects.filter(created_at__lt=cutoff)
        .exclude(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        .exclude(Q(schedule__isnull=False) & Q(pk=Subquery(latest_of_schedule)))
    )
    _, deleted = expired.delete()
    return deleted.get(ReportRun._meta.label, 0)
