"""Edges of the dependency trees: a step or a component needs a component."""

from __future__ import annotations

from rest_framework import serializers

from registry.api.base import ID_HELP, RegisterViewSet, ValidatedModelSerializer
from registry.api.fields import (
    reference_with_name,
)
from registry.filtersets import (
    DependencyFilterSet,
)
from registry.models import (
    Component,
    Dependency,
    Step,
)


class DependencySerializer(ValidatedModelSerializer):
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
