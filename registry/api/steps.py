"""Steps of an application, with their effective recovery objectives."""

from __future__ import annotations

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from registry.analysis.recovery import recovery_tables
from registry.api.base import ID_HELP, WRITE_ERRORS, RegisterViewSet, ValidatedModelSerializer
from registry.api.fields import (
    reference_with_name,
)
from registry.filtersets import (
    StepFilterSet,
)
from registry.models import (
    Application,
    Step,
)
from registry.objectives import looser_objectives


class StepSerializer(ValidatedModelSerializer):
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
    looser_than_tier = serializers.SerializerMethodField(
        help_text="The objectives (rto, rpo, availability) the step sets looser than its "
        "tier's; each needs `objective_reason`."
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
            "objective_reason",
            "effective_rto_seconds",
            "effective_rpo_seconds",
            "effective_availability_target",
            "looser_than_tier",
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

    def get_looser_than_tier(self, step: Step) -> list[str]:
        tier = step.application.tier
        return looser_objectives(
            (step.rto_seconds, step.rpo_seconds, step.availability_target),
            (tier.rto_seconds, tier.rpo_seconds, tier.availability_target),
        )


class StepViewSet(RegisterViewSet):
    """Steps of the caller's teams' applications, with their effective objectives."""

    queryset = (
        Step.objects.select_related("application__tier")
        .with_effective_objectives()
        .annotate(tier_level=models.F("application__tier__level"))
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

    @extend_schema(
        request=None,
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="`step`, and `disruptions`: for component, region and "
                "data_corruption, the objectives, the achievable RTO and RPO computed from "
                "the hard dependency tree (with the bottleneck and the assumed inputs), the "
                "latest test, the passed test within the tier's interval, and the figures "
                "the findings use (`rto_source`/`rpo_source`: measured or computed). A null "
                "RPO is data with no copy that survives.",
            )
        },
    )
    @action(detail=True, methods=["get"])
    def recovery(self, request: Request, pk=None) -> Response:
        step = self.get_object()
        rows = recovery_tables(step.application.team_id, step.application_id)[step.pk]
        return Response({"step": step.pk, "disruptions": [row.as_dict() for row in rows]})
