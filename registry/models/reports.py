"""Reports: runs (on demand or on a schedule) and report schedules kept in sync with a
django-celery-beat periodic task.

A run is a job row (`registry.jobs`): its status and progress are what the pages and
the API poll; the Celery task that does the work only updates it.
"""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, validate_email
from django.db import models, transaction
from django.db.models.signals import post_delete
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from registry.choices import ActionPriority, FailureModeStatus
from registry.jobs import (
    JobRowMixin,
    JobStatus,
    heartbeat_field,
    idempotency_constraint,
    idempotency_key_field,
    request_fingerprint_field,
)
from registry.models.base import TimeStampedModel
from registry.models.teams import Team
from registry.querysets import TeamScopedQuerySet

SCHEDULE_TASK = "registry.run_report_schedule"


class ReportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"


def _list_of(value, kind: type, allowed=None) -> list[str]:
    """Messages for a JSON list whose items must be of `kind` (and among `allowed`)."""
    if not isinstance(value, list):
        return ["Give a list."]
    messages = []
    for item in value:
        if not isinstance(item, kind) or isinstance(item, bool):
            messages.append(f"{item!r} is not a {kind.__name__}.")
        elif allowed is not None and item not in allowed:
            messages.append(f"{item!r} is not one of {', '.join(map(str, allowed))}.")
    return messages


SCOPE_FIELDS = ("tiers", "applications", "statuses", "min_rpn", "action_priorities")


def scope_constraints() -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(
            condition=models.Q(min_rpn__isnull=True) | models.Q(min_rpn__gte=1, min_rpn__lte=1000),
            name="%(app_label)s_%(class)s_min_rpn_range",
        ),
    ]


class ReportScope(models.Model):
    """Which failure modes a report covers; empty lists mean "all"."""

    tiers = models.JSONField(
        default=list, blank=True, help_text="Tier levels to include, e.g. [1, 2]; empty: all."
    )
    applications = models.JSONField(
        default=list, blank=True, help_text="Ids of the team's applications; empty: all."
    )
    statuses = models.JSONField(
        default=list,
        blank=True,
        help_text="Failure-mode statuses (open, mitigating, accepted, closed); empty: all.",
    )
    min_rpn = models.PositiveSmallIntegerField(
        "minimum RPN",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="Only failure modes with at least this RPN; blank: any.",
    )
    action_priorities = models.JSONField(
        default=list, blank=True, help_text="Action priorities (H, M, L); empty: all."
    )

    class Meta:
        abstract = True

    def clean_scope(self) -> dict[str, list[str]]:
        from registry.models.applications import Application

        errors = {
            "tiers": _list_of(self.tiers, int),
            "applications": _list_of(self.applications, int),
            "statuses": _list_of(self.statuses, str, FailureModeStatus.values),
            "action_priorities": _list_of(self.action_priorities, str, ActionPriority.values),
        }
        if not errors["applications"] and self.applications and self.team_id is not None:
            known = set(
                Application.objects.filter(
                    team_id=self.team_id, pk__in=self.applications
                ).values_list("pk", flat=True)
            )
            missing = [pk for pk in self.applications if pk not in known]
            if missing:
                errors["applications"] = [f"No application {pk} in the team." for pk in missing]
        return {name: messages for name, messages in errors.items() if messages}

    def clean(self) -> None:
        errors = self.clean_scope()
        if errors:
            raise ValidationError(errors)

    def scope_dict(self) -> dict:
        """The scope's values, lists copied (for a run made from a schedule)."""
        values = {name: getattr(self, name) for name in SCOPE_FIELDS}
        return {
            name: list(value) if isinstance(value, list) else value
            for name, value in values.items()
        }


# --- schedules ----------------------------------------------------------------------

CRONTAB_FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
EMAIL_SPLIT = re.compile(r"[\s,;]+")


def parse_crontab(expression: str) -> dict[str, str]:
    """The five fields of "minute hour day-of-month month day-of-week", checked by Celery
    and short enough for the beat entry's columns."""
    from celery.schedules import ParseException, crontab

    parts = expression.split()
    if len(parts) != len(CRONTAB_FIELDS):
        raise ValidationError(
            "Give five fields: minute hour day-of-month month day-of-week, e.g. 0 7 * * 1."
        )
    fields = dict(zip(CRONTAB_FIELDS, parts, strict=True))
    try:
        crontab(**fields)
    # Celery's parser raises ParseException (not a ValueError) for e.g. "1,,2" or "-1".
    except (ValueError, TypeError, ParseException) as exc:
        raise ValidationError(f"Not a valid crontab: {exc}") from exc
    for name, value in fields.items():
        limit = CrontabSchedule._meta.get_field(name).max_length
        if len(value) > limit:
            raise ValidationError(
                f"Not a valid crontab: the {name.replace('_', ' ')} field is longer than "
                f"{limit} characters; use ranges such as 1-5."
            )
    return fields


def validate_crontab(expression: str) -> None:
    parse_crontab(expression)


def split_recipients(text: str) -> list[str]:
    return [address for address in EMAIL_SPLIT.split(text or "") if address]


def validate_recipients(text: str) -> None:
    addresses = split_recipients(text)
    if not addresses:
        raise ValidationError("Give at least one email address.")
    bad = []
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
    if bad:
        raise ValidationError(f"Not email addresses: {', '.join(bad)}.")


class ReportSchedule(ReportScope, TimeStampedModel):
    """A report sent to recipients on a crontab.

    Each schedule owns one django-celery-beat periodic task, created, updated and
    deleted with it, so beat (which reads only its own tables) fires what the register
    says. Each firing makes a ReportRun and emails it.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="report_schedules")
    name = models.CharField(max_length=100)
    format = models.CharField(max_length=4, choices=ReportFormat.choices, default=ReportFormat.PDF)
    crontab = models.CharField(
        max_length=100,
        validators=[validate_crontab],
        help_text="When to send, as minute hour day-of-month month day-of-week in the "
        "server's time zone, e.g. 0 7 * * 1 for Mondays at 07:00.",
    )
    recipients = models.TextField(
        validators=[validate_recipients],
        help_text="Email addresses, separated by commas or new lines.",
    )
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    periodic_task = models.OneToOneField(
        PeriodicTask,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="report_schedule",
        help_text="The beat entry that fires this schedule.",
    )

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["team", "name"]
        constraints = [
            *scope_constraints(),
            models.UniqueConstraint(
                fields=["team", "name"], name="%(app_label)s_%(class)s_unique_team_name"
            ),
            models.CheckConstraint(
                condition=models.Q(format__in=ReportFormat.values),
                name="%(app_label)s_%(class)s_format_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.team})"

    def save(self, *args, **kwargs) -> None:
        # The schedule and its beat entry change together or not at all.
        with transaction.atomic():
            super().save(*args, **kwargs)
            self.sync_periodic_task()

    @property
    def recipient_list(self) -> list[str]:
        return split_recipients(self.recipients)

    @property
    def periodic_task_name(self) -> str:
        return f"report-schedule-{self.pk}"

    def sync_periodic_task(self) -> None:
        """Create or update the beat entry to fire this schedule's crontab."""
        fields = parse_crontab(self.crontab)
        crontab, _ = CrontabSchedule.objects.get_or_create(**fields, timezone=settings.TIME_ZONE)
        values = {
            "name": self.periodic_task_name,
            "task": SCHEDULE_TASK,
            "kwargs": json.dumps({"schedule_id": self.pk}),
            "crontab": crontab,
            "interval": None,
            "enabled": self.enabled,
            "description": f"Report schedule {self.name!r} of {self.team}",
        }
        task = self.periodic_task
        if task is None:
            task = PeriodicTask.objects.filter(name=values["name"]).first() or PeriodicTask()
        for name, value in values.items():
            setattr(task, name, value)
        task.save()
        if self.periodic_task_id != task.pk:
            self.periodic_task = task
            type(self).objects.filter(pk=self.pk).update(periodic_task=task)


def _delete_periodic_task(sender, instance: ReportSchedule, **kwargs) -> None:
    """A deleted schedule (one by one, in bulk or with its team) stops firing."""
    if instance.periodic_task_id is not None:
        PeriodicTask.objects.filter(pk=instance.periodic_task_id).delete()


post_delete.connect(
    _delete_periodic_task, sender=ReportSchedule, dispatch_uid="report-schedule-periodic-task"
)


# --- runs -----------------------------------------------------------------------------


class ReportRun(JobRowMixin, ReportScope):
    """One report: what was asked for, how far its generation got, and the file.

    The file is stored only when complete: a done run has a file, a failed one has its
    error and none (CHECK constraints below).
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="report_runs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    schedule = models.ForeignKey(
        ReportSchedule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="runs",
        help_text="The schedule that fired this run, if any.",
    )
    task_id = models.CharField(
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        help_text="Celery id of the schedule firing that made the run: a redelivered "
        "firing finds its run instead of making another.",
    )
    format = models.CharField(max_length=4, choices=ReportFormat.choices)
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(
        default=0,
        help_text="How many times generation started: more than once when the worker "
        "running it died and the task was delivered again.",
    )
    claimed_by = models.CharField(
        max_length=64,
        blank=True,
        help_text="Celery id of the task generating the run: if the worker running it "
        "dies, the redelivered task (same id) takes the run over.",
    )
    claim_token = models.CharField(
        max_length=32,
        blank=True,
        editable=False,
        help_text="Token of the attempt that holds the run: only that attempt may finish it.",
    )
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    file = models.FileField(max_length=300, blank=True, upload_to="reports/")
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    snapshot = models.JSONField(
        null=True,
        blank=True,
        help_text="Compact state of the scope (RPN and AP per failure mode, finding keys, "
        "overdue actions) that the schedule's next run compares against.",
    )
    changes = models.JSONField(
        null=True, blank=True, help_text="What changed since the schedule's previous run."
    )
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = heartbeat_field()
    idempotency_key = idempotency_key_field()
    request_fingerprint = request_fingerprint_field()

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            *scope_constraints(),
            models.CheckConstraint(
                condition=models.Q(format__in=ReportFormat.values),
                name="%(app_label)s_%(class)s_format_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=JobStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=JobStatus.DONE) | ~models.Q(file=""),
                name="%(app_label)s_%(class)s_done_has_file",
            ),
            models.CheckConstraint(
                condition=models.Q(status=JobStatus.DONE) | models.Q(file=""),
                name="%(app_label)s_%(class)s_file_only_when_done",
            ),
            idempotency_constraint(),
        ]
        indexes = [
            # The Reports page and the API list: a team's runs, newest first.
            models.Index(fields=["team", "-created_at"], name="registry_reportrun_team"),
            # "The schedule's previous run" for the changes since then.
            models.Index(fields=["schedule", "-created_at"], name="registry_reportrun_schedule"),
        ]

    def __str__(self) -> str:
        return f"{self.get_format_display()} report #{self.pk} of {self.team}"

    @property
    def download_name(self) -> str:
        stamp = (self.finished_at or self.created_at).strftime("%Y%m%d-%H%M")
        return f"fmea-{self.team.slug}-{stamp}.{self.format}"
