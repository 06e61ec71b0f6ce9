"""Applications: tier, DR strategy, regions and data residency, with their
failure-mode count and highest RPN computed by the database."""

from __future__ import annotations

from django.db import models
from rest_framework import serializers

from registry.api.base import ID_HELP, RegisterViewSet, ValidatedModelSerializer
from registry.api.fields import (
    BlankAsNullCharField,
    MemberTeamField,
    StrictSlugRelatedField,
    reference_with_name,
    region_codes_field,
)
from registry.filtersets import (
    ApplicationFilterSet,
)
from registry.models import (
    Application,
    BusinessFunction,
    DrStrategy,
)


class ApplicationSerializer(ValidatedModelSerializer):
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
        help_text="Jurisdiction the data must stay in: an ISO 3166-1 alpha-2 country code "
        "(e.g. IE) or the bloc EU or EEA (a region in IE satisfies EU; EU satisfies EEA); "
        "null when unconstrained. An unknown code answers 400 with the accepted ones.",
    )
    failure_mode_count = serializers.IntegerField(
        read_only=True, help_text="Number of failure modes over all its steps."
    )
    max_rpn = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Highest RPN of its failure modes, or null when it has none.",
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
            "data_residency_unmapped",
            "owner",
            *Application.RECOVERY_FIELDS,
            "failure_mode_count",
            "max_rpn",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["data_residency_unmapped", "created_at", "updated_at"]
        validators = []
        extra_kwargs = {
            "id": {"help_text": ID_HELP},
            "name": {"help_text": "Name of the application; unique in the team."},
            "description": {"help_text": "Free text."},
            "tier": {"help_text": "Id of its criticality tier (see tiers/)."},
        }

    def derived_fields(self) -> tuple[str, ...]:
        return ("data_residency",)  # written as the model's validation spells it ("EU")


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
