"""What a team runs: business functions, applications, their steps, components and the
dependency tree between them.

Every list runs a fixed number of queries whatever the page size: related rows come
from select_related / prefetch_related, and derived numbers (failure-mode counts, max
RPN, a step's effective objectives) are computed by the database with annotate().
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models.functions import Coalesce
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from registry.api.base import (
    StrictSlugRelatedField,
    TeamScopedRelatedField,
    TeamScopedViewSet,
    ValidatedModelSerializer,
)
from registry.filtersets import (
    ApplicationFilterSet,
    BusinessFunctionFilterSet,
    ComponentFilterSet,
    DependencyFilterSet,
    StepFilterSet,
)
from registry.models import (
    Application,
    BusinessFunction,
    Component,
    Dependency,
    DrStrategy,
    Region,
    Step,
    Team,
)

ID_HELP = "Unique id of the row."
WRITE_ERRORS = {
    400: OpenApiResponse(description="Validation error: {field: [messages]}."),
    403: OpenApiResponse(description="Your role in the team is read-only."),
    404: OpenApiResponse(description="No such object in your teams."),
}


# --- fields -------------------------------------------------------------------------


class MemberTeamField(TeamScopedRelatedField):
    """A team id that must be one of the caller's teams (superusers: any team).

    Teams have no `visible_to()`: membership is the rule. Another team's id reads as
    "does not exist", like every other team-scoped reference.
    """

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("queryset", Team.objects.all())
        super().__init__(**kwargs)

    def get_queryset(self) -> models.QuerySet:
        request = self.context.get("request")
        queryset = self.queryset.all()
        if request is None or not request.user.is_authenticated:
            return queryset.none()
        if request.user.is_superuser:
            return queryset
        return queryset.filter(memberships__user=request.user)


class BlankAsNullCharField(serializers.CharField):
    """A text column stored blank ("") but shown as null; null is accepted on input and
    stored as ""."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        is_empty, value = super().validate_empty_values(data)
        if is_empty and value is None:
            return True, ""
        return is_empty, value

    def to_representation(self, value):
        value = super().to_representation(value)
        return value or None


def region_codes_field(help_text: str) -> StrictSlugRelatedField:
    return StrictSlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        many=True,
        required=False,
        help_text=help_text,
    )


def reference_with_name(
    reference: str,
    queryset: models.QuerySet,
    help_text: str,
    name_help_text: str,
    *,
    optional: bool = False,
) -> tuple[TeamScopedRelatedField, serializers.CharField]:
    """A team-scoped related id and, read-only beside it, the related row's name: declare
    them as `<reference>, <reference>_name = reference_with_name("<reference>", ...)`.
    An optional reference may be null or left out, and then its name is null."""
    related_kwargs = {"required": False, "allow_null": True} if optional else {}
    name_kwargs = {"default": None, "allow_null": True} if optional else {}
    return (
        TeamScopedRelatedField(queryset=queryset, help_text=help_text, **related_kwargs),
        serializers.CharField(
            source=f"{reference}.name", read_only=True, help_text=name_help_text, **name_kwargs
        ),
    )


# --- shared serializer and view-set behaviour ---------------------------------------


def reports_violation(error: DjangoValidationError, constraint: models.UniqueConstraint) -> bool:
    """Whether one of full_clean()'s errors is `constraint` violated: Django words it with
    the constraint's own message when it has one, else as a unique_together error that
    names the constraint's fields."""
    if error.code == "unique_together":
        return (error.params or {}).get("unique_check") == constraint.fields
    return error.message == constraint.get_violation_error_message()


class RegisterSerializer(ValidatedModelSerializer):
    # Model validation, plus the uniqueness rules answered on the field they concern
    # (DRF's generated unique-together validators are replaced: they answer under
    # `non_field_errors` with the raw field names). The unique constraints are checked
    # once, by the model's full_clean(), which answers a violation under
    # `non_field_errors`; validate() answers it on the rule's field. (Comments, not a
    # docstring: a docstring would be the schema's description of every subclass.)

    #: (fields of one of the model's unique constraints, error field, message).
    unique_rules: tuple[tuple[tuple[str, ...], str, str], ...] = ()

    def current(self, attrs: dict, name: str):
        """The value after this write: the request's, else the stored one."""
        if name in attrs:
            return attrs[name]
        return getattr(self.instance, name, None) if self.instance is not None else None

    def validate(self, attrs: dict) -> dict:
        try:
            return super().validate(attrs)
        except serializers.ValidationError as exc:
            rule = self.violated_rule(exc.__cause__)
            if rule is None:
                raise
            error_field, message = rule
            # A duplicate is answered on its own, without the model's other errors.
            raise serializers.ValidationError({error_field: [message]}) from exc

    def violated_rule(self, error: BaseException | None) -> tuple[str, str] | None:
        """(error field, message) of the first unique rule whose constraint `error` (the
        full_clean() error that model validation raised from) reports violated."""
        if not isinstance(error, DjangoValidationError) or not hasattr(error, "error_dict"):
            return None
        reported = error.error_dict.get(NON_FIELD_ERRORS, [])
        constraints = {
            constraint.fields: constraint
            for constraint in self.Meta.model._meta.constraints
            if isinstance(constraint, models.UniqueConstraint)
        }
        for fields, error_field, message in self.unique_rules:
            if any(reports_violation(each, constraints[fields]) for each in reported):
                return error_field, message
        return None


class RegisterViewSet(TeamScopedViewSet):
    """TeamScopedViewSet that answers writes with the row re-read with its annotations."""

    def perform_update(self, serializer) -> None:
        super().perform_update(serializer)
        self.reload(serializer)

    def perform_create(self, serializer) -> None:
        super().perform_create(serializer)
        self.reload(serializer)

    def reload(self, serializer) -> None:
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)


# --- business functions -------------------------------------------------------------


class BusinessFunctionSerializer(RegisterSerializer):
    """A business function of a team: what its applications deliver to users."""

    team = MemberTeamField(help_text="Id of the team that owns it; one of your teams.")

    unique_rules = (
        (("team", "name"), "name", "Your team already has a business function of this name."),
    )

    class Meta:
        model = BusinessFunction
        fields = ["id", "team", "name", "description", "priority", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        validators = []
        extra_kwargs = {
            "id": {"help_text": ID_HELP},
            "name": {"help_text": "What the business does; unique in the team."},
            "description": {"help_text": "Free text."},
        }


class BusinessFunctionViewSet(RegisterViewSet):
    """Business functions of the caller's teams."""

    queryset = BusinessFunction.objects.order_by("team_id", "priority", "name", "id")
    serializer_class = BusinessFunctionSerializer
    filterset_class = BusinessFunctionFilterSet
    ordering_fields = ["priority", "name", "created_at", "updated_at", "id"]


# --- applications -------------------------------------------------------------------


class ApplicationSerializer(RegisterSerializer):
    """A business-critical application: its tier, DR strategy, regions and data
    residency, which the register checks against the tier's recovery objectives."""

    team = MemberTeamField(help_text="Id of the team that owns it; one of your teams.")
    business_function, business_function_name = reference_with_name(
        "business_function",
        BusinessFunction.objects.all(),
        "Id of the business function it delivers (same team), or null.",
        "The business function's name, or null.",
        optional=True,
    )
    tier_level = serializers.IntegerField(
        read_only=True, help_text="Level of the tier (1 is the most critical)."
    )
    dr_strategy = StrictSlugRelatedField(
        slug_field="code",
        queryset=DrStrategy.objects.all(),
        help_text="DR strategy code: backup_restore, pilot_light, warm_standby, active_active.",
    )
    regions = region_codes_field("Codes of the regions it runs in, e.g. eu-west-1.")
    data_residency = BlankAsNullCharField(
        max_length=20,
        required=False,
        help_text="Jurisdiction the data must stay in (e.g. EU), or null when unconstrained.",
    )
    failure_mode_count = serializers.IntegerField(
        read_only=True, help_text="Number of failure modes over all its steps."
    )
    max_rpn = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Highest RPN of its failure modes, or null when it has none.",
    )

    unique_rules = (
        (("team", "name"), "name", "Your team already has an application of this name."),
    )

    class Meta:
        model = Application
        fields = [
            "id",
            "team",
            "business_function",
            "business_function_name",
            "name",
            "description",
            "tier",
            "tier_level",
            "dr_strategy",
            "regions",
            "data_residency",
            "owner",
            "failure_mode_count",
            "max_rpn",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []
        extra_kwargs = {
            "id": {"help_text": ID_HELP},
            "name": {"help_text": "Name of the application; unique in the team."},
            "description": {"help_text": "Free text."},
            "tier": {"help_text": "Id of its criticality tier (see tiers/)."},
        }


class ApplicationViewSet(RegisterViewSet):
    """Applications of the caller's teams, with their failure-mode count and max RPN."""

    queryset = (
        Application.objects.select_related("business_function", "tier", "dr_strategy")
        .prefetch_related("regions")
        .annotate(
            tier_level=models.F("tier__level"),
            failure_mode_count=models.Count("steps__failure_modes"),
            max_rpn=models.Max("steps__failure_modes__rpn"),
        )
        .order_by("team_id", "tier_level", "name", "id")
    )
    serializer_class = ApplicationSerializer
    filterset_class = ApplicationFilterSet
    ordering_fields = [
        "name",
        "tier_level",
        "failure_mode_count",
        "max_rpn",
        "owner",
        "created_at",
        "updated_at",
        "id",
    ]


# --- steps --------------------------------------------------------------------------


class StepSerializer(RegisterSerializer):
    """A step of an application that delivers value to users, in order; its failure
    modes and dependencies hang off it."""

    application, application_name = reference_with_name(
        "application",
        Application.objects.all(),
        "Id of the application.",
        "The application's name.",
    )
    tier_level = serializers.IntegerField(
        read_only=True, help_text="Level of the application's tier."
    )
    effective_rto_seconds = serializers.IntegerField(
        read_only=True, help_text="The step's RTO if set, else its tier's (seconds)."
    )
    effective_rpo_seconds = serializers.IntegerField(
        read_only=True, help_text="The step's RPO if set, else its tier's (seconds)."
    )
    effective_availability_target = serializers.DecimalField(
        max_digits=7,
        decimal_places=4,
        min_value=0,
        max_value=100,
        read_only=True,
        help_text="The step's availability target if set, else its tier's (percent).",
    )

    unique_rules = (
        (("application", "order"), "order", "The application already has a step at this order."),
    )

    class Meta:
        model = Step
        fields = [
            "id",
            "application",
            "application_name",
            "tier_level",
            "order",
            "name",
            "description",
            "rto_seconds",
            "rpo_seconds",
            "availability_target",
            "effective_rto_seconds",
            "effective_rpo_seconds",
            "effective_availability_target",
            "last_reviewed_at",
            "last_reviewed_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["last_reviewed_at", "last_reviewed_by", "created_at", "updated_at"]
        validators = []
        extra_kwargs = {
            "id": {"help_text": ID_HELP},
            "name": {"help_text": "What the user does, e.g. Pay."},
            "description": {"help_text": "Free text."},
            "last_reviewed_at": {"help_text": "When its worksheet was last reviewed."},
            "last_reviewed_by": {"help_text": "Id of the user who last reviewed it."},
        }


class StepViewSet(RegisterViewSet):
    """Steps of the caller's teams' applications, with their effective objectives."""

    queryset = (
        Step.objects.select_related("application__tier")
        .annotate(
            tier_level=models.F("application__tier__level"),
            effective_rto_seconds=Coalesce("rto_seconds", "application__tier__rto_seconds"),
            effective_rpo_seconds=Coalesce("rpo_seconds", "application__tier__rpo_seconds"),
            effective_availability_target=Coalesce(
                "availability_target",
                "application__tier__availability_target",
                output_field=models.DecimalField(max_digits=7, decimal_places=4),
            ),
        )
        .order_by("application_id", "order", "id")
    )
    serializer_class = StepSerializer
    filterset_class = StepFilterSet
    ordering_fields = [
        "application",
        "order",
        "name",
        "tier_level",
        "effective_rto_seconds",
        "effective_rpo_seconds",
        "effective_availability_target",
        "last_reviewed_at",
        "created_at",
        "updated_at",
        "id",
    ]

    def team_of(self, instance: Step) -> int:
        return instance.application.team_id

    def team_of_data(self, data: dict) -> int | None:
        application = data.get("application")
        return application.team_id if application is not None else None

    @extend_schema(
        request=None,
        responses={200: StepSerializer, **WRITE_ERRORS},
        description="Record that you reviewed the step's worksheet now (editors and owners).",
    )
    @action(detail=True, methods=["post"], url_path="mark-reviewed")
    def mark_reviewed(self, request: Request, pk=None) -> Response:
        step = self.get_object()
        self.check_write(self.team_of(step))
        step.mark_reviewed(request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=step.pk)).data)


# --- components ---------------------------------------------------------------------


class ComponentSerializer(RegisterSerializer):
    """A component steps depend on (database, queue, service, an application...), with
    its availability and the regions it runs in."""

    team = MemberTeamField(help_text="Id of the team that owns it; one of your teams.")
    application, application_name = reference_with_name(
        "application",
        Application.objects.all(),
        "Id of the team's application this component is (kind application), or null.",
        "The linked application's name, or null.",
        optional=True,
    )
    regions = region_codes_field("Codes of the regions it runs in; each is a parallel replica.")

    unique_rules = ((("team", "name"), "name", "Your team already has a component of this name."),)

    class Meta:
        model = Component
        fields = [
            "id",
            "team",
            "name",
            "kind",
            "description",
            "availability",
            "regions",
            "application",
            "application_name",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []
        extra_kwargs = {
            "id": {"help_text": ID_HELP},
            "name": {"help_text": "Name of the component; unique in the team."},
            "kind": {"help_text": "What it is."},
            "description": {"help_text": "Free text."},
        }

    def validate(self, attrs: dict) -> dict:
        application = self.current(attrs, "application")
        if application is not None and self.current(attrs, "kind") != "application":
            raise serializers.ValidationError(
                {"application": ["Only a component of kind application links to one."]}
            )
        return super().validate(attrs)


class ComponentViewSet(RegisterViewSet):
    """Components of the caller's teams."""

    queryset = (
        Component.objects.select_related("application")
        .prefetch_related("regions")
        .order_by("team_id", "name", "id")
    )
    serializer_class = ComponentSerializer
    filterset_class = ComponentFilterSet
    ordering_fields = ["name", "kind", "availability", "created_at", "updated_at", "id"]


# --- dependencies -------------------------------------------------------------------


class DependencySerializer(RegisterSerializer):
    """A dependency of a step, or of a component, on a component: hard or soft."""

    team = serializers.IntegerField(
        source="component.team_id", read_only=True, help_text="The components' team."
    )
    step, step_name = reference_with_name(
        "step",
        Step.objects.all(),
        "Id of the dependant step; give this or dependant_component.",
        "The step's name, or null.",
        optional=True,
    )
    dependant_component, dependant_component_name = reference_with_name(
        "dependant_component",
        Component.objects.all(),
        "Id of the dependant component; give this or step.",
        "The dependant component's name, or null.",
        optional=True,
    )
    component, component_name = reference_with_name(
        "component",
        Component.objects.all(),
        "Id of the component that is needed.",
        "The needed component's name.",
    )

    unique_rules = (
        (("step", "component"), "component", "The step already depends on this component."),
        (
            ("dependant_component", "component"),
            "component",
            "The component already depends on this component.",
        ),
    )

    class Meta:
        model = Dependency
        fields = [
            "id",
            "team",
            "step",
            "step_name",
            "dependant_component",
            "dependant_component_name",
            "component",
            "component_name",
            "hard",
        ]
        validators = []
        extra_kwargs = {"id": {"help_text": ID_HELP}}

    def validate(self, attrs: dict) -> dict:
        step = self.current(attrs, "step")
        dependant = self.current(attrs, "dependant_component")
        if (step is None) == (dependant is None):
            message = "Give exactly one dependant: a step or a component."
            raise serializers.ValidationError(
                {"step": [message], "dependant_component": [message]}
            )
        if dependant is not None and dependant == self.current(attrs, "component"):
            raise serializers.ValidationError(
                {"component": ["A component cannot depend on itself."]}
            )
        return super().validate(attrs)


class DependencyViewSet(RegisterViewSet):
    """Edges of the caller's teams' dependency trees: a step or a component (the
    dependant) needs a component."""

    queryset = Dependency.objects.select_related(
        "step", "dependant_component", "component"
    ).order_by("id")
    serializer_class = DependencySerializer
    filterset_class = DependencyFilterSet
    ordering_fields = ["step", "dependant_component", "component", "hard", "id"]

    def team_of(self, instance: Dependency) -> int:
        return instance.component.team_id

    def team_of_data(self, data: dict) -> int | None:
        component = data.get("component")
        return component.team_id if component is not None else None
