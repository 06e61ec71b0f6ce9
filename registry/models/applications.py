"""What a team runs: business functions, applications and the steps that deliver value
to users. Components and the dependency tree are in `registry.models.components`."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from registry.jurisdictions import JURISDICTIONS, unknown_message
from registry.models.base import ConstraintFieldsMixin, TimeStampedModel
from registry.models.reference import (
    DrStrategy,
    Region,
    Tier,
    availability_field,
    availability_range,
)
from registry.models.teams import Team
from registry.objectives import looser_objectives
from registry.querysets import StepQuerySet, TeamScopedQuerySet


def check_same_team(errors: dict, field: str, related, team_id: int | None) -> None:
    """Record a validation error when `related` belongs to another team."""
    if related is not None and team_id is not None and related.team_id != team_id:
        errors[field] = "Choose one of your team's own records."


def check_team_kept(errors: dict, instance: models.Model, field: str, team_path: str) -> None:
    """Record a validation error when a saved row would change team.

    What hangs off the row (steps, failure modes, dependencies) was made in its team;
    moving the row alone would link two teams' registers.
    """
    if instance.pk is None:
        return
    stored = (
        type(instance)._default_manager.filter(pk=instance.pk).values_list(team_path, flat=True)
    ).first()
    if stored is not None and stored != instance.team_id:
        name = instance._meta.verbose_name
        errors[field] = (
            f"A {name} cannot move to another team: what depends on it belongs to this one."
        )


class BusinessFunction(ConstraintFieldsMixin, TimeStampedModel):
    """What the business does, e.g. "Process purchase transactions"."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="business_functions")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    priority = models.PositiveSmallIntegerField(
        default=3, help_text="1 is the most important; teams start with the highest priority."
    )

    objects = TeamScopedQuerySet.as_manager()
    constraint_fields = {"unique_team_name": ("name",)}

    class Meta:
        ordering = ["team", "priority", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "name"],
                name="%(app_label)s_%(class)s_unique_team_name",
                violation_error_message="Your team already has a business function of this name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        check_team_kept(errors, self, "team", "team_id")
        if errors:
            raise ValidationError(errors)


class Application(ConstraintFieldsMixin, TimeStampedModel):
    """An application that delivers a business function, in a tier, with a DR strategy."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="applications")
    business_function = models.ForeignKey(
        BusinessFunction,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="applications",
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="applications")
    dr_strategy = models.ForeignKey(
        DrStrategy,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name="DR strategy",
    )
    regions = models.ManyToManyField(Region, blank=True, related_name="applications")
    data_residency = models.CharField(
        max_length=20,
        blank=True,
        help_text="Jurisdiction the data must stay in: an ISO 3166-1 alpha-2 country code "
        "or the bloc EU or EEA; blank when unconstrained. Checked against the regions of "
        "the application and of every component its steps depend on.",
    )
    data_residency_unmapped = models.CharField(
        "unmapped data residency",
        max_length=20,
        blank=True,
        default="",
        db_default="",
        help_text="An older free-text residency the register could not map to a "
        "jurisdiction: choose the jurisdiction above, then clear this.",
    )
    owner = models.CharField(max_length=200, blank=True, help_text="Who answers for it.")
    detection_time_seconds = models.PositiveIntegerField(
        "detection time (seconds)",
        null=True,
        blank=True,
        help_text="Time to notice a disruption and decide to recover; every achievable RTO "
        "starts with it. Empty: the configured default (FMEA_DEFAULT_DETECTION_SECONDS, "
        "300), marked as assumed.",
    )
    failover_time_seconds = models.PositiveIntegerField(
        "failover time (seconds)",
        null=True,
        blank=True,
        help_text="Time to move service to another region when one is lost. Empty: the DR "
        "strategy's best RTO, marked as assumed.",
    )
    history = HistoricalRecords()

    # The recovery inputs, in the order forms, the API and imports show them.
    RECOVERY_FIELDS = ("detection_time_seconds", "failover_time_seconds")

    objects = TeamScopedQuerySet.as_manager()
    constraint_fields = {
        "unique_team_name": ("name",),
        "data_residency_jurisdiction": ("data_residency",),
    }

    class Meta:
        ordering = ["team", "tier__level", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "name"],
                name="%(app_label)s_%(class)s_unique_team_name",
                violation_error_message="Your team already has an application of this name.",
            ),
            models.CheckConstraint(
                condition=models.Q(data_residency__in=["", *JURISDICTIONS]),
                name="%(app_label)s_%(class)s_data_residency_jurisdiction",
                violation_error_message="Use a country code (e.g. IE) or a bloc (EU, EEA).",
            ),
        ]
        indexes = [models.Index(fields=["team", "tier"], name="registry_app_team_tier")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        self.data_residency = self.data_residency.strip().upper()
        if self.data_residency and self.data_residency not in JURISDICTIONS:
            errors["data_residency"] = unknown_message(self.data_residency)
        check_same_team(errors, "business_function", self.business_function, self.team_id)
        check_team_kept(errors, self, "team", "team_id")
        if errors:
            raise ValidationError(errors)


class Step(ConstraintFieldsMixin, TimeStampedModel):
    """One step that delivers value to users (browse, add to cart, pay, confirm).

    A step inherits its tier's objectives and may set its own, stricter or looser; a
    looser one needs a written reason. The effective objectives are computed in one
    place, `StepQuerySet.with_effective_objectives`.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(help_text="Position of the step in the journey.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    rto_seconds = models.PositiveIntegerField(
        "RTO (seconds)",
        null=True,
        blank=True,
        help_text="The step's own RTO, stricter or looser than the tier's; empty: the tier's.",
    )
    rpo_seconds = models.PositiveIntegerField(
        "RPO (seconds)",
        null=True,
        blank=True,
        help_text="The step's own RPO, stricter or looser than the tier's; empty: the tier's.",
    )
    availability_target = availability_field(
        null=True,
        blank=True,
        help_text="The step's own availability target (percent); empty: the tier's.",
    )
    objective_reason = models.TextField(
        "reason for looser objectives",
        blank=True,
        default="",
        db_default="",
        help_text="Why the step needs less than its tier (e.g. a nightly batch that may "
        "wait until morning). Required when an own objective is looser than the tier's.",
    )
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    last_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    objects = StepQuerySet.as_manager()
    constraint_fields = {"unique_order": ("order",)}

    class Meta:
        ordering = ["application", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "order"],
                name="%(app_label)s_%(class)s_unique_order",
                violation_error_message="The application already has a step at this order.",
            ),
            models.CheckConstraint(
                condition=models.Q(availability_target__isnull=True)
                | availability_range("availability_target"),
                name="%(app_label)s_%(class)s_availability_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} / {self.order}. {self.name}"

    @property
    def team_id(self) -> int:
        return self.application.team_id

    # Set by a restore: a backed-up step keeps the objectives it had, as a tier changed
    # since may have left them looser without a reason (a finding says so, not a refusal).
    restored = False

    def clean(self) -> None:
        if self.application_id is None:
            return
        tier = self.application.tier
        errors: dict[str, str] = {}
        looser = looser_objectives(
            (self.rto_seconds, self.rpo_seconds, self.availability_target),
            (tier.rto_seconds, tier.rpo_seconds, tier.availability_target),
        )
        if looser and not self.objective_reason.strip() and not self.restored:
            names = {"rto": "RTO", "rpo": "RPO", "availability": "availability target"}
            errors["objective_reason"] = (
                f"The step's {' and '.join(names[name] for name in looser)} is looser than "
                f"{tier}'s: write down why the step needs less."
            )
        check_team_kept(errors, self, "application", "application__team_id")
        if errors:
            raise ValidationError(errors)

    def mark_reviewed(self, user) -> None:
        self.last_reviewed_at = timezone.now()
        self.last_reviewed_by = user
        self.save(update_fields=["last_reviewed_at", "last_reviewed_by", "updated_at"])
