"""Failure modes and their actions."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, generics, renderers, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from registry.analysis.evidence import failure_mode_evidence
from registry.api.base import (
    TeamScopedViewSet,
    ValidatedModelSerializer,
    VersionedViewSetMixin,
    as_api_error,
)
from registry.api.fields import TeamScopedRelatedField
from registry.api.incidents import AdoptSerializer, EvidenceSerializer
from registry.api.pagination import CachedCountPagination
from registry.exports import stream_csv
from registry.filtersets import ActionFilterSet, FailureModeFilterSet
from registry.models import Action, Component, FailureMode, Step
from registry.models.failure_modes import DUPLICATE_MESSAGE
from registry.models.teams import is_team_owner
from registry.ordering import ACTION_SORTS, FAILURE_MODE_SORTS
from registry.services.failure_modes import duplicates_within, failure_modes_bulk_create
from registry.services.incidents import adopt_observed_rating

BULK_LIMIT = 1000
ETAG_HEADER = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        'The ETag (version) you read, e.g. "3". If the object changed since, the write is '
        "refused with 412. Without If-Match the write is accepted."
    ),
)
VERSIONED_ERRORS = {
    400: OpenApiResponse(description="Validation error: {field: [messages]}."),
    403: OpenApiResponse(description="Your role in the team is read-only."),
    404: OpenApiResponse(description="No such object in your teams."),
    412: OpenApiResponse(description="Stale If-Match: someone changed the object since."),
}


class CSVRenderer(renderers.BaseRenderer):
    """Lets `Accept: text/csv` reach the export; the body is streamed by the view."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return renderers.JSONRenderer().render(data)


def versioned_schema(serializer_class):
    """Document ETag / If-Match and the 412 on a versioned resource's writes."""
    write = extend_schema(
        parameters=[ETAG_HEADER], responses={200: serializer_class, **VERSIONED_ERRORS}
    )
    return extend_schema_view(update=write, partial_update=write)


class FailureModeSerializer(ValidatedModelSerializer):
    """A failure mode of a step with its ratings, RPN and action priority."""

    step = TeamScopedRelatedField(queryset=Step.objects.all(), help_text="The step's id.")
    component = TeamScopedRelatedField(
        queryset=Component.objects.all(),
        required=False,
        allow_null=True,
        help_text="Id of the component that fails, if any.",
    )
    team = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The step's team.")
    application = serializers.IntegerField(
        source="step.application_id", read_only=True, help_text="The step's application id."
    )
    application_name = serializers.CharField(
        source="step.application.name", read_only=True, help_text="The application's name."
    )
    tier_level = serializers.IntegerField(
        source="step.application.tier.level", read_only=True, help_text="The application's tier."
    )
    step_name = serializers.CharField(source="step.name", read_only=True, help_text="Step name.")
    component_name = serializers.CharField(
        source="component.name",
        read_only=True,
        default=None,
        allow_null=True,
        help_text="Component name.",
    )
    rpn = serializers.IntegerField(
        read_only=True, help_text="Severity × probability × detectability."
    )
    action_priority = serializers.CharField(
        read_only=True, help_text="AIAG-VDA action priority: H, M or L."
    )
    revised_rpn = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="RPN of the revised ratings."
    )
    revised_action_priority = serializers.CharField(
        read_only=True, allow_null=True, help_text="Action priority of the revised ratings."
    )
    current_rpn = serializers.IntegerField(
        read_only=True, help_text="The revised RPN where re-rated, else the initial one."
    )
    current_action_priority = serializers.CharField(
        read_only=True,
        help_text="The revised action priority where re-rated, else the initial one.",
    )
    revised_worse = serializers.BooleanField(
        read_only=True, help_text="A revised rating is above its initial one."
    )

    class Meta:
        model = FailureMode
        fields = [
            "id",
            "team",
            "application",
            "application_name",
            "tier_level",
            "step",
            "step_name",
            "component",
            "component_name",
            "mode",
            "effect",
            "cause",
            "failure_category",
            "prevention_controls",
            "detection_controls",
            "severity",
            "probability",
            "detectability",
            "rpn",
            "action_priority",
            "status",
            "revised_severity",
            "revised_probability",
            "revised_detectability",
            "revised_rpn",
            "revised_action_priority",
            "current_rpn",
            "current_action_priority",
            "revised_worse",
            "acceptance_rationale",
            "acceptance_expires_on",
            "accepted_by",
            "accepted_at",
            "closed_reason",
            "review_signed_off_by",
            "review_signed_off_at",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "accepted_by",
            "accepted_at",
            "review_signed_off_by",
            "review_signed_off_at",
            "version",
        ]

    def before_clean(self, instance: FailureMode) -> None:
        # Accepting a risk is an owner's decision: the caller is who accepts it.
        if not instance.acceptance_changed():
            return
        user = self.context["request"].user
        team_id = instance.step.application.team_id if instance.step_id else None
        if not is_team_owner(user, team_id):
            raise exceptions.PermissionDenied("Only a team owner can accept a risk.")
        instance.decided_by = user

    def derived_fields(self) -> tuple[str, ...]:
        return ("team", "accepted_by")


class FailureModeDetailSerializer(FailureModeSerializer):
    """A failure mode as one write or read answers it: with its warnings."""

    warnings = serializers.SerializerMethodField(
        help_text="What was saved but deserves a look (a revised rating worse than the "
        "initial one)."
    )

    class Meta(FailureModeSerializer.Meta):
        fields = [*FailureModeSerializer.Meta.fields, "warnings"]

    def get_warnings(self, failure_mode: FailureMode) -> list[str]:
        return failure_mode.rating_warnings


# POST takes (and answers with) one failure mode, or a list of them.
ONE_OR_MANY_FAILURE_MODES = PolymorphicProxySerializer(
    component_name="FailureModeOrList",
    serializers=[FailureModeDetailSerializer, FailureModeDetailSerializer(many=True)],
    resource_type_field_name=None,
    many=False,
)


@versioned_schema(FailureModeDetailSerializer)
class FailureModeViewSet(VersionedViewSetMixin, TeamScopedViewSet):
    """Failure modes of the caller's teams. POST a list to create many at once."""

    # Only the related columns the representation shows: fewer columns to fetch and
    # fewer model fields to build per row on a hot list.
    queryset = (
        FailureMode.objects.select_related("step__application__tier", "component")
        .only(
            *(field.name for field in FailureMode._meta.concrete_fields),
            "step__name",
            "step__application_id",
            "step__application__name",
            "step__application__tier__level",
            "component__name",
        )
        .order_by("-rpn", "id")
    )
    serializer_class = FailureModeSerializer
    filterset_class = FailureModeFilterSet
    pagination_class = CachedCountPagination
    ordering_fields = FAILURE_MODE_SORTS

    def get_serializer_class(self):
        # A list page reads plain columns only (fetched as tuples); one row's answer
        # adds its warnings.
        return FailureModeSerializer if self.action == "list" else FailureModeDetailSerializer

    @extend_schema(
        request=None,
        responses={200: FailureModeDetailSerializer},
        description=(
            "Record the management review of a severity 9–10 risk with AP High or Medium: "
            "who signed it off and when. Team owners only."
        ),
    )
    @action(detail=True, methods=["post"], url_path="sign-off")
    def sign_off(self, request: Request, pk=None) -> Response:
        failure_mode = self.get_object()
        if not is_team_owner(request.user, failure_mode.team_id):
            raise exceptions.PermissionDenied("Only the team's owners sign off reviews.")
        if not failure_mode.needs_management_review:
            raise serializers.ValidationError(
                {"non_field_errors": ["Only severity 9–10 risks with AP High or Medium need it."]}
            )
        failure_mode.sign_off_review(request.user)
        failure_mode.refresh_from_db()
        return self.with_etag(Response(self.get_serializer(failure_mode).data), failure_mode)

    @extend_schema(
        responses={200: EvidenceSerializer, 204: None},
        description="What the failure mode's incidents in the evidence window "
        "(FMEA_EVIDENCE_WINDOW_DAYS) say about its probability and detectability; 204 "
        "when it has none.",
    )
    @action(detail=True, methods=["get"])
    def evidence(self, request: Request, pk=None) -> Response:
        failure_mode = self.get_object()
        evidence = failure_mode_evidence(
            failure_mode.team_id, failure_mode_ids=[failure_mode.pk]
        ).get(failure_mode.pk)
        if evidence is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(EvidenceSerializer(evidence).data)

    @extend_schema(
        request=AdoptSerializer,
        responses={200: FailureModeDetailSerializer, **VERSIONED_ERRORS},
        description="Set the current probability or detectability to the rating its "
        "incidents suggest; the history names the incidents.",
    )
    @action(detail=True, methods=["post"], url_path="adopt-evidence")
    def adopt_evidence(self, request: Request, pk=None) -> Response:
        failure_mode = self.get_object()
        self.check_write(failure_mode.team_id)
        choice = AdoptSerializer(data=request.data)
        choice.is_valid(raise_exception=True)
        try:
            adopt_observed_rating(
                failure_mode, scale=choice.validated_data["scale"], user=request.user
            )
        except DjangoValidationError as exc:
            raise as_api_error(exc) from exc
        failure_mode = self.get_queryset().get(pk=failure_mode.pk)
        return self.with_etag(Response(self.get_serializer(failure_mode).data), failure_mode)

    def save_kwargs(self, *, created: bool) -> dict:
        user = self.request.user
        return {"updated_by": user, **({"created_by": user} if created else {})}

    @extend_schema(
        request=ONE_OR_MANY_FAILURE_MODES,
        responses={
            201: ONE_OR_MANY_FAILURE_MODES,
            400: OpenApiResponse(
                description="Validation error. For a list: {index: {field: [messages]}}."
            ),
            403: OpenApiResponse(description="Your role in the team is read-only."),
        },
        description=(
            "Create one failure mode, or POST a JSON list (at most 1000) to create many: "
            "all are created or none."
        ),
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        if not isinstance(request.data, list):
            return super().create(request, *args, **kwargs)
        if len(request.data) > BULK_LIMIT:
            raise serializers.ValidationError(
                {"non_field_errors": [f"Send at most {BULK_LIMIT} failure modes at once."]}
            )
        serializer = self.get_serializer(data=request.data, many=True)
        # Errors name each bad item by its index: {"1": {"severity": [...]}}.
        serializer.is_valid(raise_exception=True)
        repeated = duplicates_within(serializer.validated_data)
        if repeated:
            raise serializers.ValidationError(
                {str(index): {"mode": [DUPLICATE_MESSAGE]} for index in repeated}
            )
        for team_id in {item["team"].pk for item in serializer.validated_data}:
            self.check_write(team_id)
        created = failure_modes_bulk_create(user=request.user, rows=serializer.validated_data)
        rows = self.get_queryset().filter(pk__in=[item.pk for item in created]).order_by("id")
        return Response(self.get_serializer(rows, many=True).data, status=status.HTTP_201_CREATED)


class ActionSerializer(ValidatedModelSerializer):
    """An action against a failure mode."""

    failure_mode = TeamScopedRelatedField(
        queryset=FailureMode.objects.all(), help_text="The failure mode's id."
    )
    failure_mode_name = serializers.CharField(
        source="failure_mode.mode", read_only=True, help_text="The failure mode."
    )
    is_overdue = serializers.BooleanField(
        read_only=True, help_text="Open or in progress and past its due date."
    )

    class Meta:
        model = Action
        fields = [
            "id",
            "failure_mode",
            "failure_mode_name",
            "description",
            "kind",
            "owner",
            "due_date",
            "status",
            "completed_at",
            "notes",
            "verified_by",
            "verified_at",
            "verification_evidence",
            "is_overdue",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["verified_by", "verified_at", "version"]

    def before_clean(self, instance: Action) -> None:
        instance.stamp(self.context["request"].user)

    def derived_fields(self) -> tuple[str, ...]:
        return ("completed_at", "verified_by", "verified_at")


@versioned_schema(ActionSerializer)
class ActionViewSet(VersionedViewSetMixin, TeamScopedViewSet):
    """Actions against the caller's teams' failure modes."""

    queryset = Action.objects.select_related("failure_mode").in_due_order()
    serializer_class = ActionSerializer
    filterset_class = ActionFilterSet
    ordering_fields = ACTION_SORTS

    def team_of(self, instance) -> int:
        return instance.failure_mode.team_id

    def team_of_data(self, data: dict) -> int | None:
        failure_mode = data.get("failure_mode")
        return failure_mode.team_id if failure_mode is not None else None

    def save_kwargs(self, *, created: bool) -> dict:
        return {"updated_by": self.request.user}


class FailureModeExportView(generics.GenericAPIView):
    """`failure-modes/export.csv`: the list's filters and scoping, streamed as CSV."""

    queryset = FailureModeViewSet.queryset
    filterset_class = FailureModeFilterSet
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]
    pagination_class = None

    def get_queryset(self):
        return self.queryset.visible_to(self.request.user, team_ids_first=True)

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="One row per failure mode; cells that a spreadsheet would run "
                "as a formula are prefixed with a quote.",
            ),
            400: OpenApiResponse(description="A filter value is invalid."),
        },
        description="Stream the failure modes selected by the list's filters as CSV.",
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        queryset = self.filter_queryset(self.get_queryset()).order_by(
            "step__application__name", "step__order", "-rpn", "id"
        )
        response = StreamingHttpResponse(stream_csv(queryset), content_type="text/csv")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="failure-modes-{stamp}.csv"'
        return response
