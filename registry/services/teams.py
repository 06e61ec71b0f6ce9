"""Teams, their memberships and invitations: a team keeps at least one owner, and
nobody joins a team without accepting.

Every write that could take a team's last owner away (a new role, a removal) goes
through here, whichever interface asks: the API, the admin's membership pages, its
team page's inline and its bulk delete. Owners add members by invitation, addressed to
a user name whether or not anyone has it, so that inviting tells a team nothing about
other users; the invited user joins by accepting (the API, the browser's link or the
list shown after signing in).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models, transaction

from fmea.security import login_name
from registry.choices import Role
from registry.models import Invitation, Membership, Team
from registry.models.teams import ALREADY_MEMBER

LAST_OWNER_MESSAGE = "A team must keep at least one owner: make another member owner first."


def lock_teams(team_ids: Iterable[int]) -> None:
    """Lock the teams' rows until the transaction ends, in id order.

    Two owners demoting each other at the same time would each see the other still
    owner and both succeed; with the team locked first, the second waits and sees the
    first's change. Several teams are locked in one order, so two such writes cannot
    wait on each other.
    """
    ids = sorted(set(team_ids))
    list(Team.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))


def check_an_owner_remains(
    *,
    team_id: int,
    leaving: Collection[int],
    joining: bool = False,
    field: str = NON_FIELD_ERRORS,
) -> None:
    """Refuse (ValidationError on `field`) when the memberships `leaving` are owners and
    no other owner would remain. `joining`: the same change makes another member owner.

    A team that has no owner yet (a new one) may still be given its members first.
    """
    if joining:
        return
    owners = Membership.objects.filter(team_id=team_id, role=Role.OWNER)
    if owners.filter(pk__in=leaving).exists() and not owners.exclude(pk__in=leaving).exists():
        raise ValidationError({field: LAST_OWNER_MESSAGE}, code="last_owner")


@transaction.atomic
def team_create(*, name: str, slug: str, owner=None) -> Team:
    """A new team, and its first owner's membership when `owner` is given."""
    team = Team(name=name, slug=slug)
    team.full_clean()
    team.save()
    if owner is not None:
        Membership.objects.create(team=team, user=owner, role=Role.OWNER)
    return team


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str) -> Membership:
    """Give the member `role`; refused for the team's last owner stepping down."""
    lock_teams([membership.team_id])
    if role != Role.OWNER:
        check_an_owner_remains(team_id=membership.team_id, leaving=[membership.pk], field="role")
    membership.role = role
    membership.full_clean()
    membership.save()
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    """Remove the member from the team; refused for the team's last owner."""
    lock_teams([membership.team_id])
    check_an_owner_remains(team_id=membership.team_id, leaving=[membership.pk])
    membership.delete()


@transaction.atomic
def memberships_remove(*, memberships: models.QuerySet[Membership]) -> int:
    """Remove every one of `memberships` or, when that would leave a team without an
    owner, none. Returns how many were removed."""
    rows = list(memberships.values_list("pk", "team_id"))
    by_team: dict[int, list[int]] = defaultdict(list)
    for pk, team_id in rows:
        by_team[team_id].append(pk)
    lock_teams(by_team)
    for team_id, leaving in sorted(by_team.items()):
        check_an_owner_remains(team_id=team_id, leaving=leaving)
    Membership.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
    return len(rows)


SLUG_SET_BY_ADMINISTRATORS = "Only an administrator changes a team's slug."


def check_slug_change(*, team: Team, slug: str, user) -> None:
    """Slugs are unique across all teams, so a refusal of a taken one would tell a team
    that another exists: only superusers, who see every team anyway, change a slug.
    (Names are not unique: any name is accepted and reveals nothing.)"""
    if slug != team.slug and not user.is_superuser:
        raise ValidationError({"slug": SLUG_SET_BY_ADMINISTRATORS}, code="slug_read_only")


def invitation_create(*, team: Team, username: str, role: str, invited_by) -> Invitation:
    """Invite `username` to the team with `role`, whether or not such a user exists: the
    answer is the same either way. Refused for a name already a member (a fact the
    team's owners can read in its member list anyway)."""
    username = login_name(username)
    if Membership.objects.filter(team=team, user__username=username).exists():
        raise ValidationError({"username": ALREADY_MEMBER}, code="member")
    # An expired invitation gives way to the new one: inviting again renews it. (A name
    # has at most one invitation per team; a live one is refused below as a duplicate.)
    stale = Invitation.objects.filter(team=team, username=username).first()
    if stale is not None and stale.expired:
        stale.delete()
    invitation = Invitation(team=team, username=username, role=role, invited_by=invited_by)
    invitation.full_clean()
    invitation.save()
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user) -> Membership:
    """The invited user joins the team with the invitation's role; the invitation is
    used up. A user who joined meanwhile keeps the membership they have."""
    if invitation.username != user.get_username():
        raise PermissionDenied("This invitation is addressed to someone else.")
    if invitation.expired:
        raise ValidationError(expired_message(invitation), code="expired")
    lock_teams([invitation.team_id])
    membership, _ = Membership.objects.get_or_create(
        team_id=invitation.team_id, user=user, defaults={"role": invitation.role}
    )
    invitation.delete()
    return membership


def expired_message(invitation: Invitation) -> str:
    return (
        f"This invitation to {invitation.team.name} expired on "
        f"{invitation.expires_at:%Y-%m-%d}: ask one of the team's owners to invite you again."
    )


def invitation_decline(*, invitation: Invitation) -> None:
    """The invited user says no, or an owner withdraws the invitation."""
    invitation.delete()
