"""Invitations: how a team's owners add members. An invitation is addressed to a user
name and answered the same whether or not anyone has that name; the invited user joins
by accepting it (here, or in the browser by its link or after signing in)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from registry.api.base import ValidatedModelSerializer, as_api_error
from registry.api.fields import MemberTeamField
from registry.api.teams import MembershipSerializer
from registry.choices import Role
from registry.models import Invitation
from registry.models.teams import is_team_owner
from registry.services.teams import invitation_accept, invitation_create, invitation_decline


class InvitationSerializer(ValidatedModelSerializer):
    """An offer of a role in a team to a user name, until its addressee accepts or
    declines it or an owner withdraws it."""

    team = MemberTeamField(help_text="The team's id: one you own.")
    team_name = serializers.CharField(
        source="team.name", read_only=True, help_text="The team's name."
    )
    invited_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="The owner who invited."
    )
    expired = serializers.BooleanField(
        read_only=True,
        help_text="The link no longer works: it cannot be accepted. Invite the name again "
        "to renew it.",
    )
    link = serializers.SerializerMethodField(
        help_text="The page where the invited user accepts, once signed in (send it to "
        "them); the invitation is also shown to them when they next sign in."
    )

    class Meta:
        model = Invitation
        fields = [
            "id",
            "team",
            "team_name",
            "username",
            "role",
            "invited_by",
            "created_at",
            "expires_at",
            "expired",
            "link",
        ]
        extra_kwargs = {
            "id": {"help_text": "Database id."},
            "username": {"help_text": "The username of the person invited."},
            "role": {"help_text": "The role they get on accepting."},
            "created_at": {"help_text": "When the invitation was made."},
            "expires_at": {"read_only": True},
        }
        validators = []

    def full_clean_exclude(self, instance: Invitation) -> list[str]:
        # The name's uniqueness in the team is checked by `invitation_create`, after it
        # clears an expired invitation of the name (inviting again renews it).
        return ["username"]

    def get_link(self, invitation: Invitation) -> str:
        path = reverse("registry:invitation", args=[invitation.token])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


INVITATION_ERRORS = {
    400: OpenApiResponse(
        description="Validation error: {field: [messages]}; accepting an expired "
        "invitation: {non_field_errors: [message]}."
    ),
    403: OpenApiResponse(
        description="Only a team's owners invite and withdraw; only the invited user accepts."
    ),
    404: OpenApiResponse(description="No such invitation for you."),
}


@extend_schema_view(
    create=extend_schema(
        description="Invite a user name to one of your teams (owners). The answer is the "
        "same whether or not a user has that name; the user joins on accepting.",
        responses={201: InvitationSerializer, **INVITATION_ERRORS},
    ),
    destroy=extend_schema(
        description="Withdraw the invitation (the team's owners) or decline it (the "
        "invited user).",
        responses={204: None, **INVITATION_ERRORS},
    ),
)
class InvitationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Pending invitations: those of the teams you own, and those addressed to you."""

    serializer_class = InvitationSerializer
    ordering_fields = ["created_at", "username", "id"]

    def get_queryset(self) -> models.QuerySet:
        return (
            Invitation.objects.visible_to(self.request.user)
            .select_related("team", "invited_by")
            .order_by("-created_at", "-id")
        )

    def perform_create(self, serializer) -> None:
        team = serializer.validated_data["team"]
        if not is_team_owner(self.request.user, team.pk):
            raise exceptions.PermissionDenied("Only the team's owners invite members.")
        try:
            serializer.instance = invitation_create(
                team=team,
                username=serializer.validated_data["username"],
                role=serializer.validated_data.get("role", Role.VIEWER),
                invited_by=self.request.user,
            )
        except DjangoValidationError as exc:
            raise as_api_error(exc) from exc

    def perform_destroy(self, instance: Invitation) -> None:
        user = self.request.user
        if instance.username != user.get_username() and not is_team_owner(user, instance.team_id):
            raise exceptions.PermissionDenied("Only the team's owners withdraw an invitation.")
        invitation_decline(invitation=instance)

    @extend_schema(
        request=None,
        responses={200: MembershipSerializer, **INVITATION_ERRORS},
        description="Accept the invitation (the invited user): you join the team with "
        "its role, and the invitation is used up.",
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk=None) -> Response:
        invitation = self.get_object()
        try:
            membership = invitation_accept(invitation=invitation, user=request.user)
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            raise as_api_error(exc) from exc
        return Response(MembershipSerializer(membership, context={"request": request}).data)
