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
        # `team_id IN (the user's teams)`: no join, so an index on the team column serves
        # the filter, the ordering and the page count.
        return self.filter(**{f"{self.team_path}_id__in": self._team_ids(user)})

    def editable_by(self, user: AbstractBaseUser | AnonymousUser) -> TeamScopedQuerySet:
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(**{f"{self.team_path}_id__in": self._team_ids(user, roles=WRITE_ROLES)})

    @staticmethod
    def _team_ids(user, roles=None) -> models.QuerySet:
        memberships = user.memberships.all()
        if roles is not None:
            memberships = memberships.filter(role__in=roles)
        return memberships.values("team_id")
