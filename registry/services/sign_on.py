"""Single sign-on: the provider's groups become team memberships, at every sign-in.

A group mapped to a team gives the user that team's role (the highest, when several of
the user's groups map to one team). A membership granted this way is marked, and goes
when the claim no longer names a group that maps to its team. Memberships given by an
owner (an invitation) are the owner's decision and are never changed here.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction

from registry.choices import Role
from registry.models import GroupMapping, Membership, ProviderMembership
from registry.services.teams import lock_teams, membership_change_role, membership_remove

logger = logging.getLogger(__name__)

ROLE_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.OWNER: 2}


def mapped_roles(groups: list[str]) -> dict[int, str]:
    """{team id: role} the groups grant; the highest role where several map to a team."""
    roles: dict[int, str] = {}
    for team_id, role in GroupMapping.objects.filter(group__in=groups).values_list(
        "team_id", "role"
    ):
        if team_id not in roles or ROLE_RANK[role] > ROLE_RANK[roles[team_id]]:
            roles[team_id] = role
    return roles


@transaction.atomic
def apply_group_mappings(user, groups: list[str]) -> None:
    """Bring the user's provider-granted memberships in line with `groups`."""
    wanted = mapped_roles([str(group) for group in groups])
    current = {
        membership.team_id: membership
        for membership in Membership.objects.filter(user=user).select_related("provider_grant")
    }
    lock_teams(set(wanted) | set(current))
    for team_id, role in wanted.items():
        membership = current.get(team_id)
        if membership is None:
            membership = Membership.objects.create(team_id=team_id, user=user, role=role)
            ProviderMembership.objects.create(membership=membership)
        elif hasattr(membership, "provider_grant") and membership.role != role:
            change_or_keep(membership, role)
    for team_id, membership in current.items():
        if team_id not in wanted and hasattr(membership, "provider_grant"):
            try:
                membership_remove(membership=membership)
            except ValidationError:
                # The team's last owner: it keeps them rather than no owner at all.
                logger.warning("Kept %s: the team's last owner", membership)


def change_or_keep(membership: Membership, role: str) -> None:
    try:
        membership_change_role(membership=membership, role=role)
    except ValidationError:
        logger.warning("Kept %s as owner: the team's last owner", membership)
