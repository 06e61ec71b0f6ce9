"""Business functions: what a team's applications deliver to users."""

from __future__ import annotations

from registry.api.base import ID_HELP, RegisterViewSet, ValidatedModelSerializer
from registry.api.fields import (
    MemberTeamField,
)
from registry.filtersets import (
    BusinessFunctionFilterSet,
)
from registry.models import (
    BusinessFunction,
)


class BusinessFunctionSerializer(ValidatedModelSerializer):
    """A business function of a team: what its applications deliver to users."""

    team = MemberTeamField(help_text="Id of the team that owns it; one of your teams.")

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
