"""Failure modes of a step, with their ratings, and the actions that mitigate them."""

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from simple_history.models import HistoricalRecords

from registry import scoring
from registry.choices import (
    OPEN_ACTION_STATUSES,
    OPEN_FAILURE_MODE_STATUSES,
    ActionPriority,
    ActionStatus,
    FailureCategory,
    FailureModeStatus,
)
from registry.models.applications import Step
from registry.models.base import TimeStampedModel, VersionedModel
from registry.models.components import Component
from registry.models.reference import rating_range, rating_validators
from registry.models.teams import Team
from registry.querysets import TeamScopedQuerySet

RATINGS = ("severity", "probability", "detectability")
REVISED_RATINGS = tuple(f"revised_{name}" for name in RATINGS)
DUPLICATE_MESSAGE = (
    "This step already has this failure mode for the same component (ignoring case): "
    "edit that row instead, or describe what differs."
)


def rating_field(verbose_name: str, help_text: str, **kwargs) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        verbose_name, validators=rating_validators, help_text=help_text, **kwargs
    )


def rpn_field(prefix: str, verbose_name: str, help_text: str) -> models.GeneratedField:
    return models.GeneratedField(
        expression=scoring.rpn_expression(prefix),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
        verbose_name=verbose_name,
        help_text=help_text,
    )


def action_priority_field(prefix: str, verbose_name: str, help_text: str) -> models.GeneratedField:
    return models.GeneratedField(
        expression=scoring.action_priority_expression(prefix),
        output_field=models.CharField(max_length=1, choices=ActionPriority.choices),
        db_persist=True,
        verbose_name=verbose_name,
        help_text=help_text,
    )


class FailureModeQuerySet(TeamScopedQuerySet):
    """The shared vocabulary of failure-mode queries: which are open, and the risk
    figures that rollups, the dashboard and reports show."""

    def open(self) -> "FailureModeQuerySet":
        """Failure modes still being worked on (open or being mitigated)."""
        return self.filter(open_failure_modes())

    def with_figures(self, **group) -> models.QuerySet:
        """The failure modes' risk figures per group, in one GROUP BY query of dicts.

        `group` names the grouping expressions, e.g. `tier=F("step__application__tier")`;
        without it, one row for all the failure modes. The names are those of the
        RiskFigures fields they fill (registry.models.rollups).
        """
        return self.values(**group).annotate(**failure_mode_figures()).order_by()


def open_failure_modes(prefix: str = "") -> models.Q:
    """The condition "open" on failure modes (`prefix` reaches them from another model)."""
    return models.Q(**{f"{prefix}status__in": OPEN_FAILURE_MODE_STATUSES})


def open_actions(prefix: str = "") -> models.Q:
    """The condition "open" on actions: open or in progress."""
    return models.Q(**{f"{prefix}status__in": OPEN_ACTION_STATUSES})


def over_threshold(prefix: str = "") -> models.Q:
    """The condition "RPN above the tier's action threshold" on failure modes."""
    return models.Q(
        **{f"{prefix}rpn__gt": models.F(f"{prefix}step__application__tier__rpn_threshold")}
    )


def overdue_actions(today) -> models.Q:
    """Open actions past their due date."""
    return open_actions() & models.Q(due_date__lt=today)


def failure_mode_figures() -> dict[str, models.Aggregate]:
    """The definition of each failure-mode figure: counts, RPN max/mean/sum, over the
    tier's threshold, and counts per current and revised action priority."""

    def count(condition: models.Q) -> models.Count:
        return models.Count("id", filter=condition)

    return {
        "failure_mode_count": models.Count("id"),
        "open_count": count(open_failure_modes()),
        "rpn_max": models.Max("rpn"),
        "rpn_mean": models.Avg("rpn"),
        "rpn_sum": Coalesce(models.Sum("rpn"), 0),
        "over_threshold_count": count(over_threshold()),
        **{
            f"{prefix}ap_{priority.name.lower()}_count": count(
                models.Q(**{f"{prefix}action_priority": priority})
            )
            for prefix in ("", "revised_")
            for priority in ActionPriority
        },
    }


#: What a person edits in a worksheet row, in the worksheet's order: the row form's
#: fields, and (with the step and the sign-off) what a failure mode's history shows.
WORKSHEET_FIELDS = (
    "component",
    "mode",
    "failure_category",
    "effect",
    "cause",
    "prevention_controls",
    "detection_controls",
    "severity",
    "probability",
    "detectability",
    "status",
    "revised_severity",
    "revised_probability",
    "revised_detectability",
)


class FailureMode(VersionedModel, TimeStampedModel):
    """What can go wrong in a step, its effect and cause, the controls, and the ratings.

    RPN and action priority (current and revised) are generated columns computed by
    the database from the ratings, so filtering, ordering and aggregates run in SQL.
    """

    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        related_name="failure_modes",
        blank=True,
        help_text="The step's team (filled in from the step), kept on the row so that "
        "team-scoped queries need no joins.",
    )
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="failure_modes")
    component = models.ForeignKey(
        Component,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="failure_modes",
        help_text="The component that fails, if the failure mode is one component's.",
    )
    mode = models.CharField("failure mode", max_length=300, help_text="What can go wrong.")
    effect = models.TextField(blank=True, help_text="What users and the business notice.")
    cause = models.TextField(blank=True, help_text="Why it would happen.")
    failure_category = models.CharField(
        max_length=40,
        choices=FailureCategory.choices,
        default=FailureCategory.SINGLE_POINT_OF_FAILURE,
    )
    prevention_controls = models.TextField(blank=True, help_text="What stops it happening.")
    detection_controls = models.TextField(blank=True, help_text="How it is noticed.")
    severity = rating_field("severity", "1 (no effect) to 10 (hazardous).")
    probability = rating_field("probability", "1 (remote) to 10 (almost certain).")
    detectability = rating_field(
        "detectability", "1 (caught automatically) to 10 (almost impossible to detect)."
    )
    rpn = rpn_field("", "RPN", "Risk priority number: severity × probability × detectability.")
    action_priority = action_priority_field("", "AP", "AIAG-VDA action priority: H, M or L.")
    status = models.CharField(
        max_length=12, choices=FailureModeStatus.choices, default=FailureModeStatus.OPEN
    )
    revised_severity = rating_field(
        "revised severity", "Severity after actions.", null=True, blank=True
    )
    revised_probability = rating_field(
        "revised probability", "Probability after actions.", null=True, blank=True
    )
    revised_detectability = rating_field(
        "revised detectability", "Detectability after actions.", null=True, blank=True
    )
    revised_rpn = rpn_field("revised_", "revised RPN", "Revised (residual) RPN after actions.")
    revised_action_priority = action_priority_field(
        "revised_", "revised AP", "Action priority of the revised ratings."
    )
    review_signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Manager who reviewed this severity 9–10 risk.",
    )
    review_signed_off_at = models.DateTimeField(
        null=True, blank=True, help_text="When the management review was signed off."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords(
        excluded_fields=["rpn", "action_priority", "revised_rpn", "revised_action_priority"]
    )

    objects = FailureModeQuerySet.as_manager()

    class Meta:
        ordering = ["-rpn", "id"]
        constraints = [
            *[
                models.CheckConstraint(
                    condition=rating_range(name),
                    name=f"%(app_label)s_%(class)s_{name}_range",
                    violation_error_message=f"{name.capitalize()} must be between 1 and 10.",
                )
                for name in RATINGS
            ],
            *[
                models.CheckConstraint(
                    condition=models.Q(**{f"{name}__isnull": True}) | rating_range(name),
                    name=f"%(app_label)s_%(class)s_{name}_range",
                    violation_error_message="Revised ratings must be between 1 and 10.",
                )
                for name in REVISED_RATINGS
            ],
            models.CheckConstraint(
                condition=models.Q(**{f"{name}__isnull": True for name in REVISED_RATINGS})
                | models.Q(**{f"{name}__isnull": False for name in REVISED_RATINGS}),
                name="%(app_label)s_%(class)s_revised_all_or_none",
                violation_error_message="Give all three revised ratings, or none.",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=FailureModeStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(failure_category__in=FailureCategory.values),
                name="%(app_label)s_%(class)s_category_valid",
            ),
            # One failure mode per step, component and mode text; two partial indexes,
            # as a NULL component would make every row distinct in one.
            models.UniqueConstraint(
                "step",
                "component",
                Lower("mode"),
                condition=models.Q(component__isnull=False),
                name="%(app_label)s_%(class)s_unique_mode_per_component",
                violation_error_message=DUPLICATE_MESSAGE,
            ),
            models.UniqueConstraint(
                "step",
                Lower("mode"),
                condition=models.Q(component__isnull=True),
                name="%(app_label)s_%(class)s_unique_mode_per_step",
                violation_error_message=DUPLICATE_MESSAGE,
            ),
        ]
        indexes = [
            # The API's default list: a team's failure modes by descending RPN.
            models.Index(fields=["team", "-rpn", "id"], name="registry_fm_team_rpn"),
            models.Index(fields=["team", "action_priority"], name="registry_fm_team_ap"),
            models.Index(fields=["team", "status"], name="registry_fm_team_status"),
            models.Index(fields=["step", "-rpn"], name="registry_fm_step_rpn"),
        ]

    def __str__(self) -> str:
        return self.mode

    def clean(self) -> None:
        errors: dict[str, str] = {}
        revised = [getattr(self, name) for name in REVISED_RATINGS]
        if any(value is None for value in revised) and any(value is not None for value in revised):
            errors[NON_FIELD_ERRORS] = "Give all three revised ratings, or none."
        if self.step_id is not None:
            step_team_id = self.step.application.team_id
            if self.team_id is None:
                self.team_id = step_team_id
            elif self.team_id != step_team_id:
                errors["step"] = "Choose one of your team's own steps."
            if self.component_id is not None and self.component.team_id != step_team_id:
                errors["component"] = "Choose one of your team's own components."
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude=None) -> None:
        # Each CHECK above is also a field validator (ranges, choices) or a rule in
        # clean() (revised ratings); Django would check each again with a query. The
        # unique constraints need the query, and answer on the mode a user would edit.
        for constraint in self._meta.constraints:
            if isinstance(constraint, models.UniqueConstraint):
                try:
                    constraint.validate(type(self), self, exclude=exclude)
                except ValidationError as error:
                    raise ValidationError({"mode": error.messages}) from error

    def save(self, *args, **kwargs) -> None:
        if self.team_id is None and self.step_id is not None:
            self.team_id = self.step.application.team_id
        super().save(*args, **kwargs)

    @property
    def needs_management_review(self) -> bool:
        return scoring.needs_management_review(
            self.severity,
            scoring.action_priority(self.severity, self.probability, self.detectability),
        )

    def sign_off_review(self, user) -> None:
        """Record the management review of a severity 9–10 risk."""
        self.review_signed_off_by = user
        self.review_signed_off_at = timezone.now()
        self.updated_by = user
        self.save(
            update_fields=[
                "review_signed_off_by",
                "review_signed_off_at",
                "updated_by",
                "updated_at",
            ]
        )


class ActionQuerySet(TeamScopedQuerySet):
    team_path = "failure_mode__team"

    def open(self) -> "ActionQuerySet":
        return self.filter(open_actions())

    def overdue(self, today=None) -> "ActionQuerySet":
        return self.filter(overdue_actions(today or timezone.localdate()))

    def with_figures(self, today, **group) -> models.QuerySet:
        """Open and overdue action counts per group (see FailureModeQuerySet.with_figures)."""
        return (
            self.values(**group)
            .annotate(
                open_action_count=models.Count("id", filter=open_actions()),
                overdue_action_count=models.Count("id", filter=overdue_actions(today)),
            )
            .order_by()
        )


class Action(VersionedModel, TimeStampedModel):
    """A recommended action against a failure mode, its owner, due date and outcome."""

    failure_mode = models.ForeignKey(FailureMode, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField(help_text="The recommended action.")
    owner = models.CharField(max_length=200, blank=True, help_text="Who carries it out.")
    due_date = models.DateField(null=True, blank=True, help_text="When it should be done.")
    status = models.CharField(
        max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    completed_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was done; set when the status becomes done."
    )
    notes = models.TextField(blank=True, help_text="What was done.")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ActionStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=ActionStatus.DONE)
                | models.Q(completed_at__isnull=False),
                name="%(app_label)s_%(class)s_done_has_completed_at",
                violation_error_message="A done action needs its completion time.",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"], name="registry_action_due")]

    def __str__(self) -> str:
        return self.description[:80]

    def clean(self) -> None:
        # Completing an action stamps it; reopening clears the stamp.
        if self.status == ActionStatus.DONE and self.completed_at is None:
            self.completed_at = timezone.now()
        elif self.status != ActionStatus.DONE:
            self.completed_at = None
        self.clean_due_date()

    # Set by a restore: a backed-up action keeps the due date it had, past or not.
    restored = False

    def clean_due_date(self) -> None:
        """An open action is not given a due date already past: it would be overdue the
        moment it is saved. A past date kept unchanged (an action now overdue) stays."""
        today = timezone.localdate()
        if (
            self.restored
            or self.due_date is None
            or self.due_date >= today
            or self.status not in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)
        ):
            return
        if (
            self.pk is not None
            and Action.objects.filter(pk=self.pk, due_date=self.due_date).exists()
        ):
            return
        raise ValidationError(
            {
                "due_date": (
                    f"{self.due_date:%Y-%m-%d} is in the past: choose today ({today:%Y-%m-%d}) "
                    "or a later date, or mark the action done."
                )
            }
        )

    @property
    def is_overdue(self) -> bool:
        return (
            self.status in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)
            and self.due_date is not None
            and self.due_date < timezone.localdate()
        )
