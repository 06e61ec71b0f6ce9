"""Serializer fields shared by the API's resources: strict input types, team-scoped
references, and the id + name pairs of related rows."""

from __future__ import annotations

from django.db import models
from rest_framework import serializers

from registry.models import Region, Team


class TeamScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id that must belong to one of the caller's teams.

    Another team's id reads as "does not exist", so the answer never reveals it.
    """

    def get_queryset(self) -> models.QuerySet:
        request = self.context.get("request")
        queryset = super().get_queryset()
        if request is None:
            return queryset.none()
        return queryset.visible_to(request.user)


class StrictTextMixin:
    """Text must be sent as a JSON string: 0 or true is an error, not "0" or "True"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("Send text as a string.", code="invalid")
        return super().to_internal_value(data)


class StrictCharField(StrictTextMixin, serializers.CharField):
    pass


class StrictSlugField(StrictTextMixin, serializers.SlugField):
    pass


class StrictSlugRelatedField(serializers.SlugRelatedField):
    """A related object named by a code: a string without NUL characters, which
    PostgreSQL would refuse mid-query."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false as JSON booleans; 0, 1 or "yes" are errors."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            raise serializers.ValidationError("Send true or false.", code="invalid")
        return data


class MemberTeamField(TeamScopedRelatedField):
    """A team id that must be one of the caller's teams (superusers: any team).

    Teams have no `visible_to()`: membership is the rule. Another team's id reads as
    "does not exist", like every other team-scoped reference.
    """

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("queryset", Team.objects.all())
        super().__init__(**kwargs)

    def get_queryset(self) -> models.QuerySet:
        request = self.context.get("request")
        queryset = self.queryset.all()
        if request is None or not request.user.is_authenticated:
            return queryset.none()
        if request.user.is_superuser:
            return queryset
        return queryset.filter(memberships__user=request.user)


class BlankAsNullCharField(serializers.CharField):
    """A text column stored blank ("") but shown as null; null is accepted on input and
    stored as ""."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        is_empty, value = super().validate_empty_values(data)
        if is_empty and value is None:
            return True, ""
        return is_empty, value

    def to_representation(self, value):
        value = super().to_representation(value)
        return value or None


def region_codes_field(help_text: str) -> StrictSlugRelatedField:
    return StrictSlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        many=True,
        required=False,
        help_text=help_text,
    )


def reference_with_name(
    reference: str,
    queryset: models.QuerySet,
    help_text: str,
    name_help_text: str,
    *,
    optional: bool = False,
) -> tuple[TeamScopedRelatedField, serializers.CharField]:
    """A team-scoped related id and, read-only beside it, the related row's name: declare
    them as `<reference>, <reference>_name = reference_with_name("<reference>", ...)`.
    An optional reference may be null or left out, and then its name is null."""
    related_kwargs = {"required": False, "allow_null": True} if optional else {}
    name_kwargs = {"default": None, "allow_null": True} if optional else {}
    return (
        TeamScopedRelatedField(queryset=queryset, help_text=help_text, **related_kwargs),
        serializers.CharField(
            source=f"{reference}.name", read_only=True, help_text=name_help_text, **name_kwargs
        ),
    )
