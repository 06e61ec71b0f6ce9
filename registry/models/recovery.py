"""Recovery tests (drills): the evidence of what an application recovered in, held
beside what its dependency tree says it can achieve."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from registry.choices import Disruption, RecoveryTestOutcome
from registry.models.applications import Application, Step, check_same_team, check_team_kept
from registry.models.base import ConstraintFieldsMixin, TimeStampedModel
from registry.models.teams import Team
from registry.querysets import TeamScopedQuerySet


class RecoveryTestQuerySet(TeamScopedQuerySet):
    def passed_since(self, since: date) -> RecoveryTestQuerySet:
        """Tests that passed on or after `since`: the ones that count as evidence."""
        return self.filter(outcome=RecoveryTestOutcome.PASSED, performed_on__gte=since)


class RecoveryTest(ConstraintFieldsMixin, TimeStampedModel):
    """A recovery drill of one application (or one of its steps) from one disruption,
    with what it measured: how long recovery took and how much data was lost."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="recovery_tests")
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="recovery_tests"
    )
    step = models.ForeignKey(
        Step,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="recovery_tests",
        help_text="The step the drill exercised; empty when it covered the whole application.",
    )
    disruption = models.CharField(
        max_length=20,
        choices=Disruption.choices,
        help_text="What was simulated: one component failing, the primary region lost, or a "
        "bad write replicated everywhere.",
    )
    performed_on = models.DateField(help_text="The day of the drill.")
    scenario = models.TextField(
        help_text="What was done, e.g. “failed over orders DB to "
        "eu-central-1 by promoting the replica”."
    )
    measured_rto_seconds = models.PositiveIntegerField(
        "measured RTO (seconds)",
        null=True,
        blank=True,
        help_text="From the start of the disruption until service was back.",
    )
    measured_rpo_seconds = models.PositiveIntegerField(
        "measured RPO (seconds)",
        null=True,
        blank=True,
        help_text="Data actually lost, measured in time (0 when nothing was lost).",
    )
    outcome = models.CharField(
        max_length=10,
        choices=RecoveryTestOutcome.choices,
        help_text="Failed or partial when service or data did not come back as the runbook "
        "says, whatever the figures.",
    )
    runbook_url = models.URLField(
        "runbook URL",
        blank=True,
        default="",
        db_default="",
        help_text="The runbook the drill followed, if any.",
    )
    notes = models.TextField(
        blank=True, default="", db_default="", help_text="Free text: what was learnt."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    objects = RecoveryTestQuerySet.as_manager()
    constraint_fields = {"measured_when_passed": ("measured_rto_seconds",)}

    class Meta:
        ordering = ["team", "-performed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(disruption__in=Disruption.values),
                name="%(app_label)s_%(class)s_disruption_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=RecoveryTestOutcome.values),
                name="%(app_label)s_%(class)s_outcome_valid",
            ),
            models.CheckConstraint(
                # A pass is evidence only with its figure; a failed drill may have none.
                condition=~models.Q(outcome=RecoveryTestOutcome.PASSED)
                | models.Q(measured_rto_seconds__isnull=False),
                name="%(app_label)s_%(class)s_measured_when_passed",
                violation_error_message="A passed test needs the RTO it measured.",
            ),
        ]
        indexes = [
            # The findings read each application's latest tests of each disruption.
            models.Index(
                fields=["team", "application", "disruption", "performed_on"],
                name="registry_recoverytest_latest",
            )
        ]

    def __str__(self) -> str:
        return f"{self.application} — {self.get_disruption_display()} {self.performed_on}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.application_id is not None:
            check_same_team(errors, "application", self.application, self.team_id)
            if self.step_id is not None and self.step.application_id != self.application_id:
                errors["step"] = "Choose a step of the application tested."
        if self.performed_on and self.performed_on > timezone.localdate() + timedelta(days=1):
            errors["performed_on"] = "A test is recorded once it has been performed."
        check_team_kept(errors, self, "team", "team_id")
        if errors:
            raise ValidationError(errors)
