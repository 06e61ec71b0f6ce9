"""Teams and their members. Superusers create teams; a team's owners rename it and
manage its memberships; every member reads both."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import Count, OuterRef, Subquery
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from registry.api.base import (
    TeamScopedViewSet,
    ValidatedModelSerializer,
    as_api_error,
)
from registry.api.fields import MemberTeamField, StrictSlugRelatedField
from registry.choices import Role
from registry.filtersets.teams import MembershipFilterSet
from registry.models import Membership, Team
from registry.models.teams import is_team_owner
from registry.ordering import MEMBERSHIP_SORTS
from registry.services.teams import (
    check_slug_change,
    membership_change_role,
    membership_remove,
    team_create,
)


def member_team_ids(user) -> models.QuerySet:
    return Membership.objects.filter(user=user).values("team_id")


def teams_visible_to(user) -> models.QuerySet:
    """The user's teams; every team for a superuser."""
    if not user.is_authenticated:
        return Team.objects.none()
    if user.is_superuser:
        return Team.objects.all()
    return Team.objects.filter(pk__in=member_team_ids(user))


# --- Teams -----------------------------------------------------------------------------


class TeamSerializer(ValidatedModelSerializer):
    """A team, with the caller's role in it and its number of members."""

    role = serializers.ChoiceField(
        choices=Role.choices,
        source="caller_role",
        read_only=True,
        allow_null=True,
        help_text="Your role in the team; null for a superuser who is not a member.",
    )
    member_count = serializers.IntegerField(read_only=True, help_text="How many members.")
    owner = StrictSlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.all(),
        write_only=True,
        required=False,
        help_text="On creation: username of the team's first owner, made a member with "
        "the owner role in the same write.",
    )

    class Meta:
        model = Team
        fields = ["id", "name", "slug", "role", "member_count", "owner"]
        extra_kwargs = {
            "id": {"help_text": "Database id."},
            "name": {"help_text": "The team's name."},
            # Uniqueness is checked by the model (full_clean), after `validate_slug`.
            "slug": {
                "help_text": "Short name used in URLs, unique; set by administrators.",
                "validators": [],
            },
        }

    def validate_slug(self, value: str) -> str:
        if self.instance is not None:
            try:
                check_slug_change(
                    team=self.instance, slug=value, user=self.context["request"].user
                )
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.message_dict["slug"]) from exc
        return value


TEAM_ERRORS = {
    400: OpenApiResponse(description="Validation error: {field: [messages]}."),
    403: OpenApiResponse(description="Only superusers create teams; only owners rename them."),
    404: OpenApiResponse(description="Not one of your teams."),
}


@extend_schema_view(
    create=extend_schema(
        description="Create a team (superusers only), with its first owner if given; "
        "its owners invite further members in invitations/.",
        responses={201: TeamSerializer, **TEAM_ERRORS},
    ),
    update=extend_schema(responses={200: TeamSerializer, **TEAM_ERRORS}),
    partial_update=extend_schema(
        description="Rename the team (its owners and superusers). Names need not be "
        "unique; the slug is changed by superusers only.",
        responses={200: TeamSerializer, **TEAM_ERRORS},
    ),
)
class TeamViewSet(viewsets.ModelViewSet):
    """The caller's teams (every team for a superuser), with the caller's role.

    Teams are not deleted through the API: that removes their whole register; use the
    admin.
    """

    serializer_class = TeamSerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    ordering_fields = ["name", "slug", "member_count", "id"]

    def get_queryset(self) -> models.QuerySet:
        user = self.request.user
        return (
            teams_visible_to(user)
            .annotate(
                caller_role=Subquery(
                    Membership.objects.filter(team=OuterRef("pk"), user_id=user.pk).values("role")[
                        :1
                    ]
                ),
                member_count=Count("memberships"),
            )
            .order_by("name", "id")
        )

    def get_object(self) -> Team:
        team = super().get_object()
        if self.request.method not in ("GET", "HEAD", "OPTIONS") and not is_team_owner(
            self.request.user, team.pk
        ):
            raise exceptions.PermissionDenied("Only the team's owners may change it.")
        return team

    def create(self, request: Request, *args, **kwargs) -> Response:
        if not request.user.is_superuser:
            raise exceptions.PermissionDenied("Only superusers create teams.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        team = team_create(**serializer.validated_data)
        return Response(self.annotated(team), status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args, **kwargs) -> Response:
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        serializer.validated_data.pop("owner", None)  # only given on creation
        team = serializer.save()
        return Response(self.annotated(team))

    def annotated(self, team: Team) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=team.pk)).data


# --- Memberships -----------------------------------------------------------------------


class MembershipSerializer(ValidatedModelSerializer):
    """A user's role in a team."""

    team = MemberTeamField(help_text="The team's id; cannot change once created.")
    user = StrictSlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.all(),
        help_text="The member's username; cannot change once created.",
    )

    class Meta:
        model = Membership
        fields = ["id", "team", "user", "role"]
        extra_kwargs = {
            "id": {"help_text": "Database id."},
            "role": {
                "help_text": "viewer reads, editor also writes the register, owner also "
                "manages the team and its members."
            },
        }
        # The model answers a second membership of one user on `user`, in its own words.
        validators = []


MEMBERSHIP_ERRORS = {
    400: OpenApiResponse(
        description="Validation error: {field: [messages]}; also when the change would "
        "leave the team without an owner."
    ),
    403: OpenApiResponse(description="Only the team's owners manage its members."),
    404: OpenApiResponse(description="No such membership in your teams."),
}


@extend_schema_view(
    create=extend_schema(
        description="Add a member directly (superusers only); a team's owners invite "
        "members in invitations/ instead, and they join when they accept.",
        responses={201: MembershipSerializer, **MEMBERSHIP_ERRORS},
    ),
    update=extend_schema(responses={200: MembershipSerializer, **MEMBERSHIP_ERRORS}),
    partial_update=extend_schema(responses={200: MembershipSerializer, **MEMBERSHIP_ERRORS}),
    destroy=extend_schema(responses={204: None, **MEMBERSHIP_ERRORS}),
)
class MembershipViewSet(TeamScopedViewSet):
    """Members of the caller's teams and their roles. Every member reads them; only the
    team's owners (and superusers) change or remove them, and a team always keeps at
    least one owner. Owners add members by invitation (invitations/)."""

    queryset = Membership.objects.select_related("user").order_by("team_id", "user__username")
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilterSet
    ordering_fields = MEMBERSHIP_SORTS

    def get_queryset(self) -> models.QuerySet:
        user = self.request.user
        if user.is_superuser:
            return self.queryset.all()
        return self.queryset.filter(team_id__in=member_team_ids(user))

    def check_write(self, team_id: int | None) -> None:
        if team_id is None or not is_team_owner(self.request.user, team_id):
            raise exceptions.PermissionDenied("Only the team's owners manage its members.")

    def create(self, request: Request, *args, **kwargs) -> Response:
        # Before validation, whatever the body: whether a user name exists must not show.
        if not request.user.is_superuser:
            raise exceptions.PermissionDenied(
                "Members join by invitation: invite them with POST invitations/."
            )
        return super().create(request, *args, **kwargs)

    def get_object(self) -> Membership:
        membership = super().get_object()
        if self.request.method not in ("GET", "HEAD", "OPTIONS"):
            # Before validation: a read-only caller learns nothing from error messages.
            self.check_write(membership.team_id)
        return membership

    def perform_update(self, serializer) -> None:
        # The team cannot change (Membership.clean()): check its own only.
        self.check_write(serializer.instance.team_id)
        role = serializer.validated_data.get("role", serializer.instance.role)
        try:
            serializer.instance = membership_change_role(membership=serializer.instance, role=role)
        except DjangoValidationError as exc:
            raise as_api_error(exc) from exc

    def perform_destroy(self, instance: Membership) -> None:
        self.check_write(instance.team_id)
        try:
            membership_remove(membership=instance)
        except DjangoValidationError as exc:
            raise as_api_error(exc) from exc
