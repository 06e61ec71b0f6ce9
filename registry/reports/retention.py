"""Old report runs are deleted with their files, so storage does not grow for ever.

A run is kept for REPORT_RETENTION_DAYS after it was made (0 keeps every run), except
each schedule's latest done run: the next firing compares against its snapshot. Runs
still queued or running are never touched. The files go with the rows
(django-cleanup deletes them once the transaction commits).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from registry.models import JobStatus, ReportRun


def prune_report_runs(now: datetime | None = None) -> int:
    """Delete runs past the retention period; the number of runs deleted."""
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
