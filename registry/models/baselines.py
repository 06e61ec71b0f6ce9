"""Baselines: an application's FMEA frozen as it stood, numbered and approved."""

from django.conf import settings
from django.db import models

from registry.models.applications import Application
from registry.models.teams import Team
from registry.querysets import TeamScopedQuerySet


class ImmutableBaselineError(Exception):
    """A baseline is a record of what was approved: it is never changed."""


class Baseline(models.Model):
    """An immutable snapshot of an application's steps, failure modes and actions.

    Numbered per application (Rev 1, 2, …); `snapshot` is one JSON document
    (`registry.services.baselines.snapshot`). Only the approval is written after the
    freeze, once, by `registry.services.baselines.approve`.
    """

    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        related_name="baselines",
        help_text="The application's team, kept on the row for team-scoped queries.",
    )
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="baselines"
    )
    number = models.PositiveIntegerField(
        "revision", editable=False, help_text="Revision number within the application: 1, 2, …"
    )
    title = models.CharField(max_length=200, help_text="What this revision is, e.g. “Q4 review”.")
    notes = models.TextField(blank=True, help_text="Why it was frozen, what it covers.")
    snapshot = models.JSONField(
        editable=False, help_text="The steps, failure modes and actions as they were."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text="The team owner who approved it.",
    )
    approved_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When it was approved."
    )

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["application", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "number"],
                name="%(app_label)s_%(class)s_unique_revision",
                violation_error_message="This application already has this revision.",
            ),
            models.CheckConstraint(
                condition=models.Q(number__gte=1),
                name="%(app_label)s_%(class)s_number_positive",
            ),
            # An approval may outlive its approver's account (SET_NULL), never precede it.
            models.CheckConstraint(
                condition=models.Q(approved_at__isnull=False) | models.Q(approved_by__isnull=True),
                name="%(app_label)s_%(class)s_approval_has_time",
                violation_error_message="An approval needs its time.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} Rev {self.number}: {self.title}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ImmutableBaselineError(
                f"Baseline {self.pk} is frozen; freeze a new revision instead."
            )
        super().save(*args, **kwargs)

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None

    @property
    def stamp(self) -> str:
        """ "Revision 3, approved by alice on 2026-10-01", as every report page shows."""
        if not self.is_approved:
            return f"Revision {self.number}, not approved"
        who = self.approved_by.get_username() if self.approved_by else "a former user"
        return f"Revision {self.number}, approved by {who} on {self.approved_at:%Y-%m-%d}"
