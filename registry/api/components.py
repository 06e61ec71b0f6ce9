"""Components that steps depend on."""

from __future__ import annotations

from rest_framework import serializers

from registry.api.base import ID_HELP, RegisterViewSet, ValidatedModelSerializer
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
