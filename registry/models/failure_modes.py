"""Failure modes of a step, with their ratings, and the actions that mitigate them."""

import datetime

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from simple_history.models import HistoricalRecords

from registry import scoring
from registry.choices import (
    DECISION_MAX_DAYS,
    DONE_ACTION_STATUSES,
    OPEN_ACTION_STATUSES,
    OPEN_FAILURE_MODE_STATUSES,
    ActionKind,
    ActionPriority,
    ActionStatus,
    FailureCategory,
    FailureModeStatus,
)
from registry.models.applications import Step
from registry.models.base import TimeStampedModel, VersionedModel
from registry.models.components import Component
from registry.models.reference import rating_range, rating_validators
from registry.models.teams import Team, is_team_owner
from registry.querysets import TeamScopedQuerySet

RATINGS = ("severity", "probability", "detectability")
REVISED_RATINGS = tuple(f"revised_{name}" for name in RATINGS)
DUPLICATE_MESSAGE = (
    "This step already has this failure mode for the same component (ignoring case): "
    "edit that row instead, or describe what differs."
)
#: What a management sign-off approves: a change to any of these lets it lapse.
SIGNED_RATINGS = (*RATINGS, *REVISED_RATINGS)
#: What an acceptance decides: a change to any of these is a new decision (by an owner).
ACCEPTANCE_FIELDS = ("status", "acceptance_rationale", "acceptance_expires_on")


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

    def in_force(self) -> "FailureModeQuerySet":
        """Failure modes the risk rules apply to: not closed, and not accepted until a
        date still to come (an expired acceptance is back in force)."""
        return self.filter(in_force(timezone.localdate()))

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


def undecided(status: str, today: datetime.date) -> dict:
    """The decision fields of a row that arrives accepted or closed without them (an
    imported worksheet): stated as such, and an acceptance that expires at once, so
    that an owner decides it again (`acceptance_expired`)."""
    if status == FailureModeStatus.ACCEPTED:
        return {
            "acceptance_rationale": "Arrived accepted without a rationale: decide again.",
            "acceptance_expires_on": today,
        }
    if status == FailureModeStatus.CLOSED:
        return {"closed_reason": "Arrived closed without a reason."}
    return {}


def valid_acceptance(today: datetime.date, prefix: str = "") -> models.Q:
    """The condition "accepted, and the acceptance has not expired"."""
    return models.Q(
        **{
            f"{prefix}status": FailureModeStatus.ACCEPTED,
            f"{prefix}acceptance_expires_on__gte": today,
        }
    )


def in_force(today: datetime.date) -> models.Q:
    """Failure modes the risk rules apply to (see FailureModeQuerySet.in_force)."""
    return ~models.Q(status=FailureModeStatus.CLOSED) & ~valid_acceptance(today)


def open_actions(prefix: str = "") -> models.Q:
    """The condition "open" on actions: open or in progress."""
    return models.Q(**{f"{prefix}status__in": OPEN_ACTION_STATUSES})


def over_threshold(prefix: str = "", rpn: str = "rpn") -> models.Q:
    """The condition "RPN above the tier's action threshold" on failure modes (`rpn`:
    which RPN, the initial one or `current_rpn`)."""
    return models.Q(
        **{f"{prefix}{rpn}__gt": models.F(f"{prefix}step__application__tier__rpn_threshold")}
    )


def overdue_actions(today) -> models.Q:
    """Open actions past their due date."""
    return open_actions() & models.Q(due_date__lt=today)


def failure_mode_figures() -> dict[str, models.Aggregate]:
    """The definition of each failure-mode figure: counts, RPN max/mean/sum, over the
    tier's threshold, and counts per initial, revised and current action priority,
    and of the accepted risks per current priority."""

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
            for prefix in ("", "revised_", "current_")
            for priority in ActionPriority
        },
        **{
            f"accepted_ap_{priority.name.lower()}_count": count(
                models.Q(status=FailureModeStatus.ACCEPTED, current_action_priority=priority)
            )
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
    "acceptance_rationale",
    "acceptance_expires_on",
    "closed_reason",
)
#: The decisions among them, left out of a worksheet's one-line row (the failure
#: mode's page edits them).
DECISION_FIELDS = ("acceptance_rationale", "acceptance_expires_on", "closed_reason")


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
    current_rpn = models.GeneratedField(
        expression=scoring.current_rpn_expression(),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
        verbose_name="current RPN",
        help_text="The revised RPN where re-rated, else the initial one.",
    )
    current_action_priority = models.GeneratedField(
        expression=scoring.current_action_priority_expression(),
        output_field=models.CharField(max_length=1, choices=ActionPriority.choices),
        db_persist=True,
        verbose_name="current AP",
        help_text="The revised action priority where re-rated, else the initial one: "
        "what findings and rollups follow.",
    )
    revised_worse = models.GeneratedField(
        expression=scoring.revised_worse_expression(),
        output_field=models.BooleanField(),
        db_persist=True,
        verbose_name="revised worse",
        help_text="A revised rating is above its initial one: saved, but flagged.",
    )
    acceptance_rationale = models.TextField(
        blank=True,
        default="",
        db_default="",
        help_text="Why the risk is accepted as it is (required when accepted).",
    )
    acceptance_expires_on = models.DateField(
        null=True,
        blank=True,
        help_text="Until when the acceptance holds, at most a year ahead; then the risk "
        "is back in the findings.",
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The team owner who accepted the risk.",
    )
    accepted_at = models.DateTimeField(null=True, blank=True, help_text="When it was accepted.")
    closed_reason = models.TextField(
        blank=True,
        default="",
        db_default="",
        help_text="Why the failure mode no longer applies (required when closed).",
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
        excluded_fields=[
            "rpn",
            "action_priority",
            "revised_rpn",
            "revised_action_priority",
            "current_rpn",
            "current_action_priority",
            "revised_worse",
        ]
    )

    objects = FailureModeQuerySet.as_manager()

    #: Who is making the change, set by the page or the API (not stored): the one who
    #: accepts the risk when the change accepts it.
    decided_by = None
    #: True for a row restored from a backup: its acceptance was decided when it was
    #: recorded, not now (not stored).
    restored = False

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
            models.CheckConstraint(
                condition=~models.Q(status=FailureModeStatus.ACCEPTED)
                | (
                    ~models.Q(acceptance_rationale="")
                    & models.Q(acceptance_expires_on__isnull=False)
                ),
                name="%(app_label)s_%(class)s_accepted_has_rationale",
                violation_error_message="An accepted risk needs a rationale and an expiry date.",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=FailureModeStatus.CLOSED) | ~models.Q(closed_reason=""),
                name="%(app_label)s_%(class)s_closed_has_reason",
                violation_error_message="Say why the failure mode is closed.",
            ),
        ]
        indexes = [
            # The API's default list: a team's failure modes by descending RPN.
            models.Index(fields=["team", "-rpn", "id"], name="registry_fm_team_rpn"),
            models.Index(fields=["team", "action_priority"], name="registry_fm_team_ap"),
            models.Index(fields=["team", "status"], name="registry_fm_team_status"),
            models.Index(fields=["step", "-rpn"], name="registry_fm_step_rpn"),
            # The residual-risk findings select a team's current-AP High rows.
            models.Index(
                fields=["team", "current_action_priority"], name="registry_fm_team_cur_ap"
            ),
        ]

    def __str__(self) -> str:
        return self.mode

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # The stored values a save compares with: a sign-off lapses when a rating
        # changes, and a changed acceptance is a new decision.
        instance._loaded = {
            name: value
            for name, value in zip(field_names, values, strict=True)
            if name in (*SIGNED_RATINGS, *ACCEPTANCE_FIELDS)
        }
        return instance

    def changed(self, names) -> list[str]:
        """Which of `names` differ from the stored row (all of them for a new one)."""
        loaded = getattr(self, "_loaded", None)
        if self.pk is None or loaded is None:
            return list(names)
        return [name for name in names if name in loaded and loaded[name] != getattr(self, name)]

    def acceptance_changed(self) -> bool:
        """Whether this save accepts the risk anew (or changes what was accepted)."""
        return (
            self.status == FailureModeStatus.ACCEPTED
            and not self.restored
            and bool(self.changed(ACCEPTANCE_FIELDS))
        )

    def decision_errors(self) -> dict[str, str]:
        """The rules of an accepted or closed failure mode."""
        errors: dict[str, str] = {}
        if self.status == FailureModeStatus.CLOSED and not self.closed_reason.strip():
            errors["closed_reason"] = "Say why the failure mode is closed (no longer applies)."
        if self.status != FailureModeStatus.ACCEPTED:
            return errors
        if not self.acceptance_rationale.strip():
            errors["acceptance_rationale"] = "Say why the risk is accepted."
        if self.acceptance_expires_on is None:
            errors["acceptance_expires_on"] = "Give the date the acceptance expires."
        elif self.acceptance_changed():
            today = timezone.localdate()
            if self.acceptance_expires_on <= today:
                errors["acceptance_expires_on"] = "The expiry date must be in the future."
            elif self.acceptance_expires_on > today + datetime.timedelta(DECISION_MAX_DAYS):
                errors["acceptance_expires_on"] = "An acceptance runs at most a year."
        if self.acceptance_changed() and self.decided_by is not None:
            self.accepted_by = self.decided_by
        if self.acceptance_changed() and not (
            self.accepted_by_id and is_team_owner(self.accepted_by, self.team_id)
        ):
            errors["status"] = "Only a team owner can accept a risk."
        return errors

    @property
    def acceptance_expired(self) -> bool:
        """Accepted until a day now past: the rules apply to it again."""
        return (
            self.status == FailureModeStatus.ACCEPTED
            and self.acceptance_expires_on is not None
            and self.acceptance_expires_on < timezone.localdate()
        )

    @property
    def rating_warnings(self) -> list[str]:
        """Revised ratings worse than the initial ones: saved, but flagged."""
        return scoring.worse_revised_ratings(
            (self.severity, self.probability, self.detectability),
            (self.revised_severity, self.revised_probability, self.revised_detectability),
        )

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
        errors = self.decision_errors() | errors
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
        if self.lapse_sign_off() and kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {
                *kwargs["update_fields"],
                "review_signed_off_by",
                "review_signed_off_at",
            }
        if self.acceptance_changed():
            self.accepted_at = timezone.now()
        super().save(*args, **kwargs)
        self._loaded = {
            name: getattr(self, name) for name in (*SIGNED_RATINGS, *ACCEPTANCE_FIELDS)
        }

    def lapse_sign_off(self) -> bool:
        """A management sign-off approves the ratings it saw: a change to any of the six
        clears it, and the history's entry for this save says so."""
        if self.review_signed_off_at is None or self.pk is None:
            return False
        changed = self.changed(SIGNED_RATINGS)
        if not changed:
            return False
        self.review_signed_off_by = None
        self.review_signed_off_at = None
        self._change_reason = (
            "Management sign-off lapsed: "
            + ", ".join(name.replace("_", " ") for name in changed)
            + " changed."
        )
        return True

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


#: Actions in the order they fall due; those without a due date last (PostgreSQL and
#: SQLite put NULL at opposite ends otherwise), the id breaking ties.
DUE_ORDER = [models.F("due_date").asc(nulls_last=True), "id"]


class ActionQuerySet(TeamScopedQuerySet):
    team_path = "failure_mode__team"

    def in_due_order(self) -> "ActionQuerySet":
        return self.order_by(*DUE_ORDER)

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
    kind = models.CharField(
        max_length=12,
        choices=ActionKind.choices,
        default=ActionKind.PREVENTION,
        db_default=ActionKind.PREVENTION,
        help_text="Prevention lowers the probability; detection improves detectability.",
    )
    owner = models.CharField(max_length=200, blank=True, help_text="Who carries it out.")
    due_date = models.DateField(null=True, blank=True, help_text="When it should be done.")
    status = models.CharField(
        max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    completed_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was done; set when the status becomes done."
    )
    notes = models.TextField(blank=True, help_text="What was done.")
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who checked that the action worked.",
    )
    verified_at = models.DateTimeField(
        null=True, blank=True, help_text="When its effectiveness was checked."
    )
    verification_evidence = models.TextField(
        blank=True,
        default="",
        db_default="",
        help_text="How the action was shown to work (a test, a drill, a measurement); "
        "required when verified.",
    )
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
        ordering = DUE_ORDER
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ActionStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=DONE_ACTION_STATUSES)
                | models.Q(completed_at__isnull=False),
                name="%(app_label)s_%(class)s_done_has_completed_at",
                violation_error_message="A done action needs its completion time.",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=ActionStatus.VERIFIED)
                | (models.Q(verified_at__isnull=False) & ~models.Q(verification_evidence="")),
                name="%(app_label)s_%(class)s_verified_has_evidence",
                violation_error_message="A verified action needs its evidence.",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ActionKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"], name="registry_action_due")]

    def __str__(self) -> str:
        return self.description[:80]

    def clean(self) -> None:
        # Completing an action stamps it; reopening clears the stamp.
        if self.status in DONE_ACTION_STATUSES and self.completed_at is None:
            self.completed_at = timezone.now()
        elif self.status not in DONE_ACTION_STATUSES:
            self.completed_at = None
        self.clean_due_date()
        if self.status == ActionStatus.VERIFIED:
            if not self.verification_evidence.strip():
                raise ValidationError(
                    {"verification_evidence": "Say how the action was shown to work."}
                )
            self.verified_at = self.verified_at or timezone.now()
        else:
            self.verified_at = None
            self.verified_by = None

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

    def stamp(self, user) -> None:
        """Who wrote this change: the editor, and the verifier of a newly verified action."""
        self.updated_by = user
        if self.status == ActionStatus.VERIFIED and self.verified_by_id is None:
            self.verified_by = user

    def verify(self, *, user, evidence: str) -> None:
        """Record the effectiveness check of a done action: who, when and the evidence."""
        if self.status not in DONE_ACTION_STATUSES:
            raise ValidationError({"status": "Only a done action can be verified."})
        self.status = ActionStatus.VERIFIED
        self.verification_evidence = evidence
        self.verified_by = user
        self.verified_at = timezone.now()
        self.updated_by = user
        self.full_clean()
        self.save()

    @property
    def is_overdue(self) -> bool:
        return (
            self.status in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)
            and self.due_date is not None
            and self.due_date < timezone.localdate()
        )
