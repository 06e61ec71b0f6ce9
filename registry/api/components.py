"""Components that steps depend on."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from registry.analysis.downtime import measured_availability
from registry.api.base import ID_HELP, RegisterViewSet, ValidatedModelSerializer, as_api_error
from registry.api.fields import (
    MemberTeamField,
    reference_with_name,
    region_codes_field,
)
from registry.filtersets import (
    ComponentFilterSet,
)
from registry.models import (
    Application,
    Component,
)
from registry.services.incidents import adopt_measured_availability


class ComponentSerializer(ValidatedModelSerializer):
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
    regions = region_codes_field(
        "Codes of the regions it runs in and keeps data in. They count as parallel replicas "
        "only when the application runs active/active, and then as an upper bound."
    )
    replica_regions = region_codes_field(
        "Data stores: codes of the regions holding replicas, beyond the regions it runs in."
    )
    backup_copy_regions = region_codes_field(
        "Data stores: codes of the regions holding copies of its backups."
    )
    availability_counted = serializers.DecimalField(
        source="figure",
        max_digits=7,
        decimal_places=4,
        read_only=True,
        help_text="The availability the register counts (percent): the figure entered, or "
        "the configured assumption when the basis is assumed.",
    )

    class Meta:
        model = Component
        fields = [
            "id",
            "team",
            "name",
            "kind",
            "description",
            "availability",
            "availability_basis",
            "availability_measured_over_days",
            "availability_counted",
            "regions",
            "application",
            "application_name",
            *Component.RECOVERY_FIELDS,
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []
        extra_kwargs = {
            "id": {"help_text": ID_HELP},
            "name": {"help_text": "Name of the component; unique in the team."},
            "kind": {"help_text": "What it is."},
            "availability": {
                "help_text": "Availability of one deployment (percent); null when the basis "
                "is assumed, required for sla and measured."
            },
            "description": {"help_text": "Free text."},
        }


class MeasuredAvailabilitySerializer(serializers.Serializer):
    """What the component's incidents over the evidence window say its availability is."""

    window_days = serializers.IntegerField(help_text="Days measured (FMEA_EVIDENCE_WINDOW_DAYS).")
    incidents = serializers.IntegerField(help_text="Incidents open at some time in the window.")
    downtime_seconds = serializers.IntegerField(
        help_text="Their union clipped to the window (overlaps counted once; open ones to now)."
    )
    availability = serializers.DecimalField(
        max_digits=7, decimal_places=4, help_text="Percent up over the window, rounded down."
    )
    summary = serializers.CharField(help_text="The figure as the component's page says it.")


class ComponentViewSet(RegisterViewSet):
    """Components of the caller's teams."""

    queryset = (
        Component.objects.select_related("application")
        .prefetch_related("regions", "replica_regions", "backup_copy_regions")
        .order_by("team_id", "name", "id")
    )
    serializer_class = ComponentSerializer
    filterset_class = ComponentFilterSet
    ordering_fields = ["name", "kind", "availability", "created_at", "updated_at", "id"]

    @extend_schema(
        responses={200: MeasuredAvailabilitySerializer},
        description="The availability the component's incidents measure over the evidence "
        "window (FMEA_EVIDENCE_WINDOW_DAYS): its downtime, overlapping incidents once.",
    )
    @action(detail=True, methods=["get"], url_path="measured-availability")
    def measured_availability(self, request: Request, pk=None) -> Response:
        measured = measured_availability(self.get_object().pk)
        return Response(MeasuredAvailabilitySerializer(measured).data)

    @extend_schema(
        request=None,
        responses={
            200: ComponentSerializer,
            400: OpenApiResponse(description="No incidents in the window: nothing measured."),
            403: OpenApiResponse(description="Your role in the team is read-only."),
        },
        description="Make the measured availability the component's figure (basis measured, "
        "over the window's days); its history says so.",
    )
    @action(detail=True, methods=["post"], url_path="adopt-measured-availability")
    def adopt_measured_availability(self, request: Request, pk=None) -> Response:
        component = self.get_object()
        self.check_write(component.team_id)
        try:
            adopt_measured_availability(component, user=request.user)
        except DjangoValidationError as exc:
            raise as_api_error(exc) from exc
        return Response(self.get_serializer(self.get_queryset().get(pk=component.pk)).data)
