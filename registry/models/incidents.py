"""Incidents: what actually went wrong, recorded by hand, through the API, or by the
receivers of Alertmanager and PagerDuty, linked to the components and failure modes
they touched. They are the evidence that probability and detectability ratings are
held against (registry.analysis.evidence)."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from registry.choices import RECEIVER_SOURCES, IncidentSeverity, IncidentSource
from registry.models.base import ConstraintFieldsMixin, TimeStampedModel
from registry.models.components import Component
from registry.models.failure_modes import FailureMode
from registry.models.teams import Team
from registry.querysets import TeamScopedQuerySet

DEFAULT_COMPONENT_LABEL = "fmea_component"
#: What an incident holds, in the order the API and the CSV import name it.
INCIDENT_FIELDS = (
    "title",
    "started_at",
    "detected_at",
    "resolved_at",
    "severity",
    "source",
    "external_id",
    "url",
    "postmortem_url",
    "data_lost_seconds",
    "components",
    "failure_modes",
)


# Said by the CHECK constraints and by `Incident.time_errors`, which the receivers use.
DETECTED_BEFORE_START = "An incident cannot be detected before it started."
RESOLVED_BEFORE_START = "An incident cannot be resolved before it started."


class Incident(ConstraintFieldsMixin, TimeStampedModel):
    """Something that went wrong in production, with when it started, was detected and
    was resolved. A redelivered event from the same source and external id updates the
    row instead of adding another."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="incidents")
    title = models.CharField(max_length=300)
    started_at = models.DateTimeField(help_text="When the failure began (the users' view).")
    detected_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When monitoring or a person noticed it; time to detect is detected − started.",
    )
    resolved_at = models.DateTimeField(
        null=True, blank=True, help_text="When service was restored; empty while open."
    )
    severity = models.CharField(
        max_length=10, choices=IncidentSeverity.choices, default=IncidentSeverity.MEDIUM
    )
    source = models.CharField(
        max_length=20, choices=IncidentSource.choices, default=IncidentSource.MANUAL
    )
    external_id = models.CharField(
        max_length=200,
        blank=True,
        default="",
        help_text="The incident's id in its source (an Alertmanager group key fingerprint, "
        "a PagerDuty incident id); unique per team and source.",
    )
    url = models.URLField("URL", max_length=500, blank=True, help_text="Where it is tracked.")
    postmortem_url = models.URLField("postmortem URL", max_length=500, blank=True)
    data_lost_seconds = models.PositiveIntegerField(
        "data lost (seconds)",
        null=True,
        blank=True,
        help_text="Data lost, measured in time (as an RPO is); empty when none was lost.",
    )
    components = models.ManyToManyField(
        Component, blank=True, related_name="incidents", help_text="Components it touched."
    )
    failure_modes = models.ManyToManyField(
        FailureMode,
        blank=True,
        related_name="incidents",
        help_text="Failure modes it was an occurrence of.",
    )
    history = HistoricalRecords(m2m_fields=[components, failure_modes])

    objects = TeamScopedQuerySet.as_manager()
    constraint_fields = {
        "unique_team_source_external_id": ("external_id",),
        "detected_after_start": ("detected_at",),
        "resolved_after_start": ("resolved_at",),
    }

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["team", "started_at"], name="registry_incident_started")]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "source", "external_id"],
                condition=~models.Q(external_id=""),
                name="%(app_label)s_%(class)s_unique_team_source_external_id",
                violation_error_message="Your team already has an incident with this id "
                "from this source.",
            ),
            models.CheckConstraint(
                condition=models.Q(detected_at__isnull=True)
                | models.Q(detected_at__gte=models.F("started_at")),
                name="%(app_label)s_%(class)s_detected_after_start",
                violation_error_message=DETECTED_BEFORE_START,
            ),
            models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=True)
                | models.Q(resolved_at__gte=models.F("started_at")),
                name="%(app_label)s_%(class)s_resolved_after_start",
                violation_error_message=RESOLVED_BEFORE_START,
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=IncidentSource.values),
                name="%(app_label)s_%(class)s_source_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(severity__in=IncidentSeverity.values),
                name="%(app_label)s_%(class)s_severity_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def time_errors(self) -> dict[str, str]:
        """The order of the times, checked in Python (no query) for the receivers; the
        CHECK constraints say the same to every other writer."""
        errors = {}
        if self.detected_at is not None and self.detected_at < self.started_at:
            errors["detected_at"] = DETECTED_BEFORE_START
        if self.resolved_at is not None and self.resolved_at < self.started_at:
            errors["resolved_at"] = RESOLVED_BEFORE_START
        return errors

    @property
    def downtime_seconds(self) -> int | None:
        if self.resolved_at is None:
            return None
        return int((self.resolved_at - self.started_at).total_seconds())

    @property
    def detect_seconds(self) -> int | None:
        if self.detected_at is None:
            return None
        return int((self.detected_at - self.started_at).total_seconds())


def check_links(team_id: int, components, failure_modes) -> None:
    """An incident links only to its own team's components and failure modes."""
    errors = {}
    if any(component.team_id != team_id for component in components):
        errors["components"] = "Link components of the incident's team only."
    if any(failure_mode.team_id != team_id for failure_mode in failure_modes):
        errors["failure_modes"] = "Link failure modes of the incident's team only."
    if errors:
        raise ValidationError(errors)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class IncidentReceiver(ConstraintFieldsMixin, models.Model):
    """A team's inbound endpoint for one alerting tool. The caller proves it is the team's
    with a token (`Authorization: Bearer <token>`), of which only a hash is kept; an owner
    rotates it. PagerDuty also signs each delivery: its signing secret checks the
    `X-PagerDuty-Signature` HMAC, which needs the secret itself, so that one is kept."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="incident_receivers")
    source = models.CharField(max_length=20, choices=IncidentSource.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(
        max_length=8, editable=False, help_text="The token's last characters, to recognise it."
    )
    signing_secret = models.CharField(
        max_length=200,
        blank=True,
        help_text="PagerDuty only: the webhook subscription's signing secret.",
    )
    component_label = models.CharField(
        max_length=100,
        default=DEFAULT_COMPONENT_LABEL,
        help_text="Alertmanager only: the alert label naming the component (by name or slug).",
    )
    rotated_at = models.DateTimeField(auto_now_add=True)
    rotated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    objects = TeamScopedQuerySet.as_manager()
    constraint_fields = {"unique_team_source": ("source",)}

    class Meta:
        ordering = ["team", "source"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "source"],
                name="%(app_label)s_%(class)s_unique_team_source",
                violation_error_message="Your team already has a receiver for this source.",
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=[source.value for source in RECEIVER_SOURCES]),
                name="%(app_label)s_%(class)s_source_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} receiver of {self.team}"

    def issue_token(self, user=None) -> str:
        """A new token (shown once); the old one stops working when this row is saved."""
        token = secrets.token_urlsafe(32)
        self.token_hash = hash_token(token)
        self.token_hint = token[-4:]
        self.rotated_by = user
        return token


class PagerDutyService(ConstraintFieldsMixin, models.Model):
    """A PagerDuty service mapped, once, to the component its incidents concern."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="pagerduty_services")
    service_id = models.CharField(
        "PagerDuty service id", max_length=40, help_text="e.g. PF9KMXH, from the service's URL."
    )
    component = models.ForeignKey(
        Component, on_delete=models.CASCADE, related_name="pagerduty_services"
    )

    objects = TeamScopedQuerySet.as_manager()
    constraint_fields = {"unique_team_service": ("service_id",)}

    class Meta:
        ordering = ["team", "service_id"]
        verbose_name = "PagerDuty service"
        constraints = [
            models.UniqueConstraint(
                fields=["team", "service_id"],
                name="%(app_label)s_%(class)s_unique_team_service",
                violation_error_message="This PagerDuty service is already mapped.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_id} → {self.component}"

    def clean(self) -> None:
        if self.component_id and self.team_id and self.component.team_id != self.team_id:
            raise ValidationError({"component": "Choose a component of the same team."})
