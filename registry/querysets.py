"""Team scoping: every register query starts from `visible_to(user)`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

from registry.choices import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

WRITE_ROLES = (Role.EDITOR, Role.OWNER)


class TeamScopedQuerySet(models.QuerySet):
    """Rows of the teams a user belongs to. `team_path` is the lookup to the team."""

    team_path = "team"

    def for_team(self, team_id: int) -> TeamScopedQuerySet:
        return self.filter(**{f"{self.team_path}_id": team_id})

    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> TeamScopedQuerySet:
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(**{f"{self.team_path}__memberships__user": user})

    def editable_by(self, user: AbstractBaseUser | AnonymousUser) -> TeamScopedQuerySet:
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(
            **{
                f"{self.team_path}__memberships__user": user,
                f"{self.team_path}__memberships__role__in": WRITE_ROLES,
            }
        )
