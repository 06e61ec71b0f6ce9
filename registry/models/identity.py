"""Single sign-on: which groups of the identity provider grant which team roles."""

from __future__ import annotations

from django.db import models

from registry.choices import Role
from registry.models.teams import Membership, Team


class GroupMapping(models.Model):
    """A group named in the provider's claim (e.g. `sre-payments`) gives its members a
    role in a team. Applied at every single sign-on: a member whose claim loses the
    group loses the membership it granted."""

    group = models.CharField(
        max_length=200, help_text="The group as the provider's claim names it."
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="group_mappings")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        ordering = ["group", "team"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "team"],
                name="%(app_label)s_%(class)s_unique_group_team",
                violation_error_message="This group already maps to this team.",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values),
                name="%(app_label)s_%(class)s_role_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(group=""),
                name="%(app_label)s_%(class)s_group_named",
                violation_error_message="Name the group.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group} → {self.team} as {self.get_role_display()}"


class ProviderMembership(models.Model):
    """Marks a membership granted by a group mapping: sign-on may take it away again.
    Memberships given by owners (invitations) are never touched by sign-on."""

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="provider_grant"
    )
    granted_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["membership"]

    def __str__(self) -> str:
        return f"{self.membership} (from the identity provider)"
