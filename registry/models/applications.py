"""What a team runs: business functions, applications, their steps, the components
the steps need, and the dependency tree between them."""

from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords

from registry.choices import ComponentKind
from registry.models.base import ConstraintFieldsMixin, TimeStampedModel
from registry.models.reference import (
    DrStrategy,
    Region,
    Tier,
    availability_field,
    availability_range,
)
from registry.models.teams import Team
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
        help_text="Jurisdiction the data must stay in (e.g. EU); blank when unconstrained.",
    )
    owner = models.CharField(max_length=200, blank=True, help_text="Who answers for it.")
    history = HistoricalRecords()

    objects = TeamScopedQuerySet.as_manager()
    constraint_fields = {"unique_team_name": ("name",)}

    class Meta:
        ordering = ["team", "tier__level", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "name"],
                name="%(app_label)s_%(class)s_unique_team_name",
                violation_error_message="Your team already has an application of this name.",
            ),
        ]
        indexes = [models.Index(fields=["team", "tier"], name="registry_app_team_tier")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        check_same_team(errors, "business_function", self.business_function, self.team_id)
        check_team_kept(errors, self, "team", "team_id")
        if errors:
            raise ValidationError(errors)


class Step(ConstraintFieldsMixin, TimeStampedModel):
    """One step that delivers value to users (browse, add to cart, pay, confirm).

    A step inherits its tier's objectives and may set stricter ones.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(help_text="Position of the step in the journey.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    rto_seconds = models.PositiveIntegerField(
        "RTO (seconds)", null=True, blank=True, help_text="Stricter RTO than the tier's, if any."
    )
    rpo_seconds = models.PositiveIntegerField(
        "RPO (seconds)", null=True, blank=True, help_text="Stricter RPO than the tier's, if any."
    )
    availability_target = availability_field(
        null=True, blank=True, help_text="Stricter availability target (percent), if any."
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

    def clean(self) -> None:
        if self.application_id is None:
            return
        tier = self.application.tier
        errors: dict[str, str] = {}
        if self.rto_seconds is not None and self.rto_seconds > tier.rto_seconds:
            errors["rto_seconds"] = (
                f"A step may only tighten its tier's RTO ({tier.rto_seconds} s), not relax it."
            )
        if self.rpo_seconds is not None and self.rpo_seconds > tier.rpo_seconds:
            errors["rpo_seconds"] = (
                f"A step may only tighten its tier's RPO ({tier.rpo_seconds} s), not relax it."
            )
        if (
            self.availability_target is not None
            and self.availability_target < tier.availability_target
        ):
            errors["availability_target"] = (
                "A step may only raise its tier's availability target "
                f"({tier.availability_target} %), not lower it."
            )
        check_team_kept(errors, self, "application", "application__team_id")
        if errors:
            raise ValidationError(errors)

    def effective_objectives(self) -> tuple[int, int, float]:
        """(RTO seconds, RPO seconds, availability percent) after the step's overrides."""
        tier = self.application.tier
        return (
            self.rto_seconds if self.rto_seconds is not None else tier.rto_seconds,
            self.rpo_seconds if self.rpo_seconds is not None else tier.rpo_seconds,
            float(
                self.availability_target
                if self.availability_target is not None
                else tier.availability_target
            ),
        )

    def mark_reviewed(self, user) -> None:
        self.last_reviewed_at = timezone.now()
        self.last_reviewed_by = user
        self.save(update_fields=["last_reviewed_at", "last_reviewed_by", "updated_at"])


class Component(ConstraintFieldsMixin, TimeStampedModel):
    """Something a step needs: a service, database, queue, network, third-party API, or
    one of the team's own applications."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="components")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=ComponentKind.choices)
    description = models.TextField(blank=True)
    availability = availability_field(
        default=Decimal("99.9"), help_text="Availability of one deployment, in percent."
    )
    regions = models.ManyToManyField(
        Region,
        blank=True,
        related_name="components",
        help_text="Each region counts as a parallel replica for composite availability.",
    )
    application = models.ForeignKey(
        Application,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="as_components",
        help_text="Set when the component is one of the team's applications.",
    )

    objects = TeamScopedQuerySet.as_manager()
    constraint_fields = {"unique_team_name": ("name",), "application_kind": ("application",)}

    class Meta:
        ordering = ["team", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "name"],
                name="%(app_label)s_%(class)s_unique_team_name",
                violation_error_message="Your team already has a component of this name.",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ComponentKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
            ),
            models.CheckConstraint(
                condition=availability_range("availability"),
                name="%(app_label)s_%(class)s_availability_percent",
            ),
            models.CheckConstraint(
                condition=models.Q(application__isnull=True)
                | models.Q(kind=ComponentKind.APPLICATION),
                name="%(app_label)s_%(class)s_application_kind",
                violation_error_message=(
                    "Only a component of kind application can be linked to an application."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        check_same_team(errors, "application", self.application, self.team_id)
        check_team_kept(errors, self, "team", "team_id")
        if errors:
            raise ValidationError(errors)


class DependencyQuerySet(TeamScopedQuerySet):
    team_path = "component__team"

    def loop_closed_by(
        self, dependant: Component, needed: Component, *, ignoring: int | None = None
    ) -> list[str]:
        """The names along the loop that "`dependant` needs `needed`" would close, from
        `dependant` round to itself; empty when it closes none. `ignoring` is the edge
        being changed, whose stored version does not count.

        Only components depend on components, so a loop never passes through a step.
        One query reads the team's component-to-component edges; the search is
        breadth-first, so the loop named is the shortest.
        """
        edges = self.filter(dependant_component__team_id=needed.team_id)
        if ignoring is not None:
            edges = edges.exclude(pk=ignoring)
        needs: dict[int, list[int]] = defaultdict(list)
        for dependant_id, component_id in edges.values_list("dependant_component_id", "component"):
            needs[dependant_id].append(component_id)
        path = shortest_path(needs, needed.pk, dependant.pk)
        if path is None:
            return []
        names = dict(Component.objects.filter(pk__in=path).values_list("pk", "name"))
        return [dependant.name, *(names[pk] for pk in path)]


def shortest_path(needs: dict[int, list[int]], start: int, goal: int) -> list[int] | None:
    """The shortest chain of ids from `start` to `goal` along `needs`, both ends included."""
    came_from: dict[int, int | None] = {start: None}
    pending = [start]
    while pending:
        following = []
        for current in pending:
            if current == goal:
                path = [current]
                while (previous := came_from[path[-1]]) is not None:
                    path.append(previous)
                return path[::-1]
            for component_id in needs.get(current, ()):
                if component_id not in came_from:
                    came_from[component_id] = current
                    following.append(component_id)
        pending = following
    return None


class Dependency(ConstraintFieldsMixin, models.Model):
    """An edge of the dependency tree: a step, or a component, depends on a component."""

    step = models.ForeignKey(
        Step, on_delete=models.CASCADE, null=True, blank=True, related_name="dependencies"
    )
    dependant_component = models.ForeignKey(
        Component,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="dependencies",
        help_text="Set instead of the step when a component depends on another component.",
    )
    component = models.ForeignKey(
        Component, on_delete=models.CASCADE, related_name="dependants", help_text="What is needed."
    )
    hard = models.BooleanField(
        default=True, help_text="Hard: fails without it. Soft: degraded without it."
    )

    objects = DependencyQuerySet.as_manager()
    constraint_fields = {
        "one_dependant": ("step", "dependant_component"),
        "not_self": ("component",),
        "unique_step_component": ("component",),
        "unique_component_component": ("component",),
    }

    class Meta:
        ordering = ["step", "dependant_component", "component"]
        verbose_name_plural = "dependencies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(step__isnull=False, dependant_component__isnull=True)
                | models.Q(step__isnull=True, dependant_component__isnull=False),
                name="%(app_label)s_%(class)s_one_dependant",
                violation_error_message="Give exactly one dependant: a step or a component.",
            ),
            models.CheckConstraint(
                condition=~models.Q(dependant_component=models.F("component")),
                name="%(app_label)s_%(class)s_not_self",
                violation_error_message="A component cannot depend on itself.",
            ),
            models.UniqueConstraint(
                fields=["step", "component"],
                condition=models.Q(step__isnull=False),
                name="%(app_label)s_%(class)s_unique_step_component",
                violation_error_message="The step already depends on this component.",
            ),
            models.UniqueConstraint(
                fields=["dependant_component", "component"],
                condition=models.Q(dependant_component__isnull=False),
                name="%(app_label)s_%(class)s_unique_component_component",
                violation_error_message="The component already depends on this component.",
            ),
        ]

    def __str__(self) -> str:
        dependant = self.step or self.dependant_component
        return f"{dependant} → {self.component} ({'hard' if self.hard else 'soft'})"

    def save(self, *args, **kwargs) -> None:
        if self.dependant_component_id is None:
            super().save(*args, **kwargs)
            return
        # Two writers adding A → B and B → A at once would each pass clean(): edges
        # between components take turns on their team's row, and the loop is checked
        # again under that lock, against what the other writer has committed.
        with transaction.atomic():
            list(Team.objects.select_for_update().filter(pk=self.component.team_id).values("pk"))
            loop = self.loop_closed()
            if loop:
                raise ValidationError({"component": loop})
            super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.component_id is None:
            return
        team_id = self.component.team_id
        errors: dict[str, str] = {}
        if self.step_id is not None and self.step.application.team_id != team_id:
            errors["component"] = "Choose one of your team's own components."
        check_same_team(errors, "dependant_component", self.dependant_component, team_id)
        if (
            not errors
            and self.dependant_component_id is not None
            and self.dependant_component_id != self.component_id  # refused as not_self
        ):
            loop = self.loop_closed()
            if loop:
                errors["component"] = loop
        if errors:
            raise ValidationError(errors)

    def loop_closed(self) -> str | None:
        """The error message when this edge would close a dependency loop, else None."""
        loop = Dependency.objects.loop_closed_by(
            self.dependant_component, self.component, ignoring=self.pk
        )
        return f"This would close a loop: {' → '.join(loop)}." if loop else None
