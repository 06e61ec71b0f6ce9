"""Worksheet imports: an uploaded worksheet as a job row (`registry.jobs`), checked and,
unless a dry run, imported (`registry.imports`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from registry.jobs import (
    JobRowMixin,
    JobStatus,
    heartbeat_field,
    idempotency_constraint,
    idempotency_key_field,
    request_fingerprint_field,
)
from registry.models.teams import Team
from registry.querysets import TeamScopedQuerySet


class WorksheetImport(JobRowMixin, models.Model):
    """An uploaded worksheet being checked (and, unless a dry run, imported).

    The upload is kept in storage under a generated name (never the client's file
    name) until the import task has read it.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="worksheet_imports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source_name = models.CharField(
        max_length=200, blank=True, help_text="The uploaded file's name, for display only."
    )
    upload = models.FileField(max_length=300, blank=True, upload_to="imports/")
    dry_run = models.BooleanField(
        default=False, help_text="Only check the file and say what would be created."
    )
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    errors = models.JSONField(
        default=list, blank=True, help_text="Each problem: row, column and message."
    )
    summary = models.JSONField(
        default=dict, blank=True, help_text="What was (or would be) created, by kind."
    )
    background = models.BooleanField(
        default=False,
        editable=False,
        help_text="Imported by a background task: the upload was too large for the request.",
    )
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
            models.CheckConstraint(
                condition=models.Q(status__in=JobStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            idempotency_constraint(),
        ]
        indexes = [
            models.Index(fields=["team", "-created_at"], name="registry_import_team"),
        ]

    def __str__(self) -> str:
        return f"Import #{self.pk} of {self.source_name or 'a worksheet'} into {self.team}"
