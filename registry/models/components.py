"""Components that steps depend on, and the dependency edges between them: a step or a
component (the dependant) needs a component, hard or soft. Edges never form a loop."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Coalesce
from simple_history.models import HistoricalRecords

from registry.choices import DATA_STORE_KINDS, AvailabilityBasis, ComponentKind, Replication
from registry.models.applications import Application, Step, check_same_team, check_team_kept
from registry.models.base import ConstraintFieldsMixin, TimeStampedModel
from registry.models.reference import Region, availability_field, availability_range
from registry.models.teams import Team
from registry.querysets import TeamScopedQuerySet


def assumed_availability() -> Decimal:
    """The availability (percent) counted for a component with no figure entered."""
    return Decimal(settings.FMEA_ASSUMED_AVAILABILITY)


def availability_figure(prefix: str = "") -> models.Func:
    """SQL: the availability counted for a component (`prefix` is the path to it)."""
    return Coalesce(
        models.F(f"{prefix}availability"),
        models.Value(assumed_availability()),
        output_field=models.DecimalField(max_digits=7, decimal_places=4),
    )


class SpaceJoined(models.Aggregate):
    """The texts of a group joined by spaces (in order on PostgreSQL)."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, ' ' ORDER BY %(expressions)s)"
    output_field = models.TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            function="GROUP_CONCAT",
            template="%(function)s(%(expressions)s, ' ')",
            **extra_context,
        )


def region_codes(field: str, component: str = "component_id") -> models.Subquery:
    """SQL: the codes of the regions in the component's M2M `field` ("replica_regions"),
    joined by spaces; NULL when it has none. `component` is the outer query's path to
    the component's id."""
    through = getattr(Component, field).through
    return models.Subquery(
        through.objects.filter(component_id=models.OuterRef(component))
        .order_by()
        .values("component_id")
        .annotate(codes=SpaceJoined("region__code"))
        .values("codes"),
        output_field=models.TextField(),
    )


class Component(ConstraintFieldsMixin, TimeStampedModel):
    """Something a step needs: a service, database, queue, network, third-party API, or
    one of the team's own applications."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="components")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=ComponentKind.choices)
    description = models.TextField(blank=True)
    availability = availability_field(
        null=True,
        blank=True,
        help_text="Availability of one deployment, in percent; empty when assumed.",
    )
    availability_basis = models.CharField(
        max_length=10,
        choices=AvailabilityBasis.choices,
        default=AvailabilityBasis.ASSUMED,
        db_default=AvailabilityBasis.ASSUMED,
        help_text="Where the figure comes from. Assumed: none entered, the register counts "
        "the configured assumption (FMEA_ASSUMED_AVAILABILITY) and says so.",
    )
    availability_measured_over_days = models.PositiveIntegerField(
        "measured over (days)",
        null=True,
        blank=True,
        help_text="For a measured figure: how many days of monitoring it covers.",
    )
    regions = models.ManyToManyField(
        Region,
        blank=True,
        related_name="components",
        help_text="Where it runs and keeps data. Regions count as parallel replicas only "
        "when the application runs active/active.",
    )
    application = models.ForeignKey(
        Application,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="as_components",
        help_text="Set when the component is one of the team's applications.",
    )
    # Recovery: what the achievable RTO and RPO of the steps that need it rest on
    # (registry.analysis.resilience.recovery).
    recovery_time_seconds = models.PositiveIntegerField(
        "recovery time (seconds)",
        null=True,
        blank=True,
        help_text="Time to restore or fail over this component within its region: restart, "
        "replace, fail over to another zone. Empty: the configured assumption "
        "(FMEA_ASSUMED_RECOVERY_SECONDS), marked as assumed.",
    )
    replication = models.CharField(
        max_length=10,
        choices=Replication.choices,
        default=Replication.NONE,
        db_default=Replication.NONE,
        help_text="Data stores only: how writes reach a replica. A synchronous replica "
        "loses nothing; an asynchronous one loses its lag.",
    )
    replication_lag_seconds = models.PositiveIntegerField(
        "replication lag (seconds)",
        null=True,
        blank=True,
        help_text="p99 lag of an asynchronous replica: the data a failover to it loses. "
        "Required for asynchronous replication, empty otherwise.",
    )
    replica_regions = models.ManyToManyField(
        Region,
        blank=True,
        related_name="replica_components",
        help_text="Data stores only: regions holding replicas, beyond the regions it runs in.",
    )
    backup_interval_seconds = models.PositiveIntegerField(
        "backup interval (seconds)",
        null=True,
        blank=True,
        help_text="Data stores only: time between backups (86400 for nightly); empty when "
        "it is not backed up. Restoring a backup loses up to one interval.",
    )
    backup_copy_regions = models.ManyToManyField(
        Region,
        blank=True,
        related_name="backup_copy_components",
        help_text="Data stores only: regions holding copies of its backups. Only a copy "
        "outside a lost region can restore it there.",
    )
    point_in_time_recovery = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Data stores only: it can be restored to any second within the window, "
        "which undoes a bad write with about 1 s of loss.",
    )
    pitr_window_days = models.PositiveSmallIntegerField(
        "point-in-time recovery window (days)",
        null=True,
        blank=True,
        help_text="How far back a point-in-time restore can go; only with point-in-time recovery.",
    )

    # The recovery inputs, in the order forms, the API and the admin show them.
    RECOVERY_FIELDS = (
        "recovery_time_seconds",
        "replication",
        "replication_lag_seconds",
        "replica_regions",
        "backup_interval_seconds",
        "backup_copy_regions",
        "point_in_time_recovery",
        "pitr_window_days",
    )

    # Its figures' provenance: who changed the availability, or adopted it from incidents.
    history = HistoricalRecords()

    objects = TeamScopedQuerySet.as_manager()
    constraint_fields = {
        "unique_team_name": ("name",),
        "application_kind": ("application",),
        "availability_given": ("availability",),
        "assumed_without_figure": ("availability",),
        "measured_over_days": ("availability_measured_over_days",),
        "replication_valid": ("replication",),
        "lag_with_async": ("replication_lag_seconds",),
        "backup_interval_positive": ("backup_interval_seconds",),
        "window_with_pitr": ("pitr_window_days",),
        "recovery_data_store": ("replication",),
    }

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
                condition=models.Q(availability__isnull=True) | availability_range("availability"),
                name="%(app_label)s_%(class)s_availability_percent",
            ),
            models.CheckConstraint(
                condition=models.Q(availability_basis__in=AvailabilityBasis.values),
                name="%(app_label)s_%(class)s_availability_basis_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(availability_basis=AvailabilityBasis.ASSUMED)
                | models.Q(availability__isnull=False),
                name="%(app_label)s_%(class)s_availability_given",
                violation_error_message="Enter the figure: an SLA or a measured basis needs one.",
            ),
            models.CheckConstraint(
                condition=~models.Q(availability_basis=AvailabilityBasis.ASSUMED)
                | models.Q(availability__isnull=True),
                name="%(app_label)s_%(class)s_assumed_without_figure",
                violation_error_message=(
                    "An assumed figure is the configured assumption: leave the availability "
                    "empty, or say where the figure comes from (SLA or measured)."
                ),
            ),
            models.CheckConstraint(
                # isnull=False: a NULL would leave the comparison unknown, which a CHECK
                # lets pass.
                condition=models.Q(
                    availability_basis=AvailabilityBasis.MEASURED,
                    availability_measured_over_days__isnull=False,
                    availability_measured_over_days__gte=1,
                )
                | models.Q(
                    ~models.Q(availability_basis=AvailabilityBasis.MEASURED),
                    availability_measured_over_days__isnull=True,
                ),
                name="%(app_label)s_%(class)s_measured_over_days",
                violation_error_message=(
                    "A measured figure needs the days of monitoring it covers (at least 1); "
                    "other figures have none."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(application__isnull=True)
                | models.Q(kind=ComponentKind.APPLICATION),
                name="%(app_label)s_%(class)s_application_kind",
                violation_error_message=(
                    "Only a component of kind application can be linked to an application."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(replication__in=Replication.values),
                name="%(app_label)s_%(class)s_replication_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    replication=Replication.ASYNC, replication_lag_seconds__isnull=False
                )
                | models.Q(
                    ~models.Q(replication=Replication.ASYNC),
                    replication_lag_seconds__isnull=True,
                ),
                name="%(app_label)s_%(class)s_lag_with_async",
                violation_error_message=(
                    "Give the p99 replication lag of an asynchronous replica; other "
                    "replication has no lag."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(backup_interval_seconds__isnull=True)
                | models.Q(backup_interval_seconds__gte=1),
                name="%(app_label)s_%(class)s_backup_interval_positive",
                violation_error_message="A backup interval is at least 1 second.",
            ),
            models.CheckConstraint(
                condition=models.Q(point_in_time_recovery=True)
                | models.Q(pitr_window_days__isnull=True),
                name="%(app_label)s_%(class)s_window_with_pitr",
                violation_error_message=(
                    "A point-in-time recovery window needs point-in-time recovery."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=DATA_STORE_KINDS)
                | models.Q(
                    replication=Replication.NONE,
                    backup_interval_seconds__isnull=True,
                    point_in_time_recovery=False,
                ),
                name="%(app_label)s_%(class)s_recovery_data_store",
                violation_error_message=(
                    "Only data stores (database, storage, queue) have replication, backups "
                    "and point-in-time recovery."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def assumed(self) -> bool:
        return self.availability_basis == AvailabilityBasis.ASSUMED

    @property
    def figure(self) -> Decimal:
        """The availability the register counts: the entered one, or the assumption."""
        return assumed_availability() if self.availability is None else self.availability

    @property
    def is_data_store(self) -> bool:
        return self.kind in DATA_STORE_KINDS

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
        if self.dependant_component_id in (None, self.component_id):
            # No loop to look for: a step's edge, or one the not-self CHECK refuses.
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
