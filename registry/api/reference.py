"""Reference data shared by every team: tiers, regions, DR strategies, rating scales and
the failure-mode library. Every signed-in user reads them; only staff change them."""

from django.db.models import ProtectedError, RestrictedError
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, permissions, serializers, status, viewsets

from registry.api.base import ValidatedModelSerializer
from registry.filtersets import (
    DrStrategyFilterSet,
    FailureModeTemplateFilterSet,
    RatingScaleFilterSet,
    RegionFilterSet,
    TierFilterSet,
)
from registry.jurisdictions import jurisdictions_of
from registry.models import DrStrategy, FailureModeTemplate, RatingScale, Region, Tier


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object is still in use."
    default_code = "conflict"


class IsStaffOrReadOnly(permissions.BasePermission):
    """Reads for every signed-in user; writes for staff and superusers only."""

    message = "Only staff may change reference data."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(user.is_staff or user.is_superuser)


ID_HELP = {"help_text": "Database id."}
WRITE_ERRORS = {
    400: OpenApiResponse(description="Validation error: {field: [messages]}."),
    403: OpenApiResponse(description="Only staff may change reference data."),
    404: OpenApiResponse(description="No such row."),
}


def reference_schema(serializer_class):
    """Document the write errors of a reference-data viewset."""
    return extend_schema_view(
        create=extend_schema(responses={201: serializer_class, **WRITE_ERRORS}),
        update=extend_schema(responses={200: serializer_class, **WRITE_ERRORS}),
        partial_update=extend_schema(responses={200: serializer_class, **WRITE_ERRORS}),
        destroy=extend_schema(
            responses={
                204: None,
                403: WRITE_ERRORS[403],
                404: WRITE_ERRORS[404],
                409: OpenApiResponse(description="Still used by register records."),
            }
        ),
    )


class ReferenceViewSet(viewsets.ModelViewSet):
    """Read by everyone signed in, written by staff. A row still in use cannot be
    deleted (409)."""

    permission_classes = [IsStaffOrReadOnly]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def perform_destroy(self, instance) -> None:
        try:
            instance.delete()
        except (ProtectedError, RestrictedError) as exc:
            raise Conflict(
                f"{instance._meta.verbose_name.capitalize()} {instance} is still used by "
                "register records; move them to another one first."
            ) from exc


# --- Tiers -----------------------------------------------------------------------------


class TierSerializer(ValidatedModelSerializer):
    """A criticality tier and its recovery objectives."""

    class Meta:
        model = Tier
        fields = [
            "id",
            "level",
            "name",
            "description",
            "rto_seconds",
            "rpo_seconds",
            "availability_target",
            "rpn_threshold",
            "review_interval_days",
            "recovery_test_interval_days",
            "disasters_excluded",
        ]
        extra_kwargs = {
            "id": ID_HELP,
            # The model has only a check constraint: refuse 0 as a field error.
            "level": {"min_value": 1},
            "name": {"help_text": "e.g. Tier 1 - mission critical."},
            "availability_target": {"help_text": "Availability target in percent, e.g. 99.999."},
            "description": {"help_text": "What belongs in the tier."},
        }


@reference_schema(TierSerializer)
class TierViewSet(ReferenceViewSet):
    """Criticality tiers and their recovery objectives, most critical first."""

    queryset = Tier.objects.order_by("level")
    serializer_class = TierSerializer
    filterset_class = TierFilterSet
    ordering_fields = ["level", "rto_seconds", "rpo_seconds", "availability_target", "id"]


# --- Regions ---------------------------------------------------------------------------


class RegionSerializer(ValidatedModelSerializer):
    """A cloud region and the country its data is kept in."""

    # Longer than a code, so that a free-text value reaches the model's validation and
    # is answered with the accepted codes.
    country = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="ISO 3166-1 alpha-2 code of the country its data is kept in, e.g. IE; "
        "empty where an older free-text jurisdiction was not mapped.",
    )
    jurisdiction = serializers.CharField(
        source="country",
        read_only=True,
        help_text="Former name of `country`, kept for this release and removed in the next.",
    )
    jurisdictions = serializers.SerializerMethodField(
        help_text="The jurisdictions the region lies in: its country and the blocs "
        "(EU, EEA) that contain it."
    )

    class Meta:
        model = Region
        fields = ["id", "code", "name", "country", "jurisdictions", "jurisdiction"]
        extra_kwargs = {
            "id": ID_HELP,
            "code": {"help_text": "Cloud region code, e.g. eu-west-1; used in the URL."},
            "name": {"help_text": "e.g. Europe (Ireland)."},
        }

    def get_jurisdictions(self, region: Region) -> list[str]:
        return jurisdictions_of(region.country)


@reference_schema(RegionSerializer)
class RegionViewSet(ReferenceViewSet):
    """Cloud regions and the jurisdiction of their data, looked up by code."""

    queryset = Region.objects.order_by("code")
    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet
    lookup_field = "code"
    ordering_fields = ["code", "name", "country"]

    def perform_destroy(self, instance: Region) -> None:
        # Deleting would silently drop the region from applications and components
        # (many-to-many rows cascade), changing their availability and residency.
        if instance.applications.exists() or instance.components.exists():
            raise Conflict(
                f"Region {instance} is still used by applications or components; "
                "remove it from them first."
            )
        super().perform_destroy(instance)


# --- DR strategies ---------------------------------------------------------------------


class DrStrategySerializer(ValidatedModelSerializer):
    """A disaster-recovery strategy and the best RTO/RPO it achieves."""

    class Meta:
        model = DrStrategy
        fields = [
            "id",
            "code",
            "name",
            "cost_rank",
            "best_rto_seconds",
            "best_rpo_seconds",
            "multi_region",
            "serves_all_regions",
            "summary",
        ]
        extra_kwargs = {
            "id": ID_HELP,
            "code": {
                "help_text": "e.g. backup_restore, pilot_light, warm_standby, active_active; "
                "used in the URL."
            },
            "name": {"help_text": "e.g. Warm standby."},
            "best_rto_seconds": {"help_text": "Best recovery time it can achieve, in seconds."},
            "best_rpo_seconds": {"help_text": "Best recovery point it can achieve, in seconds."},
            "summary": {"help_text": "How it works and what it costs."},
        }


@reference_schema(DrStrategySerializer)
class DrStrategyViewSet(ReferenceViewSet):
    """Disaster-recovery strategies, cheapest first, looked up by code."""

    queryset = DrStrategy.objects.order_by("cost_rank")
    serializer_class = DrStrategySerializer
    filterset_class = DrStrategyFilterSet
    lookup_field = "code"
    ordering_fields = ["cost_rank", "best_rto_seconds", "best_rpo_seconds", "code"]


# --- Rating scales ---------------------------------------------------------------------


class RatingScaleSerializer(ValidatedModelSerializer):
    """What one rating of a severity, probability or detectability scale means."""

    class Meta:
        model = RatingScale
        fields = ["id", "scale", "rating", "label", "description"]
        extra_kwargs = {
            "id": ID_HELP,
            "scale": {"help_text": "severity, probability or detectability."},
            "rating": {"help_text": "1 to 10."},
            "label": {"help_text": "Short name of the rating, e.g. Hazardous."},
            "description": {"help_text": "What the rating means, shown beside the input."},
        }


@reference_schema(RatingScaleSerializer)
class RatingScaleViewSet(ReferenceViewSet):
    """What each 1–10 severity, probability and detectability rating means."""

    queryset = RatingScale.objects.order_by("scale", "rating")
    serializer_class = RatingScaleSerializer
    filterset_class = RatingScaleFilterSet
    ordering_fields = ["scale", "rating", "id"]


# --- Failure-mode library --------------------------------------------------------------


class FailureModeTemplateSerializer(ValidatedModelSerializer):
    """A common failure mode from the library, with suggested ratings."""

    class Meta:
        model = FailureModeTemplate
        fields = [
            "id",
            "component_kind",
            "failure_category",
            "mode",
            "effect",
            "cause",
            "prevention_controls",
            "detection_controls",
            "severity",
            "probability",
            "detectability",
        ]
        extra_kwargs = {
            "id": ID_HELP,
            "component_kind": {"help_text": "Kind of component it applies to; any fits all."},
            "failure_category": {"help_text": "Resilience category of the failure."},
            "mode": {"help_text": "How the component fails."},
            "effect": {"help_text": "What users and the business notice."},
            "cause": {"help_text": "Why it would happen."},
            "prevention_controls": {"help_text": "Usual controls that stop it happening."},
            "detection_controls": {"help_text": "Usual controls that notice it."},
            "severity": {"help_text": "Suggested severity, 1 to 10."},
            "probability": {"help_text": "Suggested probability, 1 to 10."},
            "detectability": {"help_text": "Suggested detectability, 1 to 10 (10: unseen)."},
        }


@reference_schema(FailureModeTemplateSerializer)
class FailureModeTemplateViewSet(ReferenceViewSet):
    """The library of common failure modes, offered when filling in a step."""

    queryset = FailureModeTemplate.objects.order_by("component_kind", "mode", "id")
    serializer_class = FailureModeTemplateSerializer
    filterset_class = FailureModeTemplateFilterSet
    ordering_fields = ["component_kind", "failure_category", "mode", "severity", "id"]
