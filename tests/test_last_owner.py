"""A team keeps at least one owner, in the admin as in the API: the membership page,
the team page's members, the delete page and the bulk delete all refuse to take the
last owner away, with a message, and change nothing. (The API's side is in
tests/api/test_teams.py.)"""

from __future__ import annotations

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse

from registry.choices import Role
from registry.models import Membership, Team
from registry.services.teams import (
    LAST_OWNER_MESSAGE,
    membership_change_role,
    membership_remove,
    memberships_remove,
    team_create,
)
from tests.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:registry_membership_changelist"


def roles(team) -> list[tuple[str, str]]:
    return list(team.memberships.order_by("user__username").values_list("user__username", "role"))


def membership(team, user) -> Membership:
    return Membership.objects.get(team=team, user=user)


def change_url(obj) -> str:
    return reverse(f"admin:registry_{obj._meta.model_name}_change", args=[obj.pk])


def delete_url(obj) -> str:
    return reverse(f"admin:registry_{obj._meta.model_name}_delete", args=[obj.pk])


def team_page(team, rows: list[dict]) -> dict:
    """The team change page's POST: the team's fields and its members inline."""
    data = {
        "name": team.name,
        "slug": team.slug,
        "memberships-TOTAL_FORMS": len(rows),
        "memberships-INITIAL_FORMS": sum(1 for row in rows if "id" in row),
    }
    for index, row in enumerate(rows):
        data.update({f"memberships-{index}-{name}": value for name, value in row.items()})
        data[f"memberships-{index}-team"] = team.pk
    return data


def row(member: Membership, **changes) -> dict:
    return {"id": member.pk, "user": member.user_id, "role": member.role, **changes}


# --- the membership page ---------------------------------------------------------------


def test_the_last_owner_cannot_be_demoted_on_the_membership_page(admin_client, alice, team_a):
    owner = membership(team_a, alice)
    response = admin_client.post(
        change_url(owner), {"team": team_a.pk, "user": alice.pk, "role": Role.EDITOR}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"role": [LAST_OWNER_MESSAGE]}
    assert roles(team_a) == [("alice", "owner")]


def test_an_owner_is_demoted_once_another_member_is_owner(admin_client, alice, bob, team_a):
    Membership.objects.filter(team=team_a, user=bob).update(role=Role.OWNER)
    response = admin_client.post(
        change_url(membership(team_a, alice)),
        {"team": team_a.pk, "user": alice.pk, "role": Role.VIEWER},
    )
    assert response.status_code == 302
    assert roles(team_a) == [("alice", "viewer"), ("bob", "owner")]


def test_a_membership_cannot_move_to_another_team(admin_client, alice, bob, team_a, team_b):
    """Moving it would take team A's owner away by the back door."""
    response = admin_client.post(
        change_url(membership(team_a, alice)),
        {"team": team_b.pk, "user": alice.pk, "role": Role.OWNER},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "team": ["A membership's team cannot change; add a new one instead."]
    }
    assert roles(team_a) == [("alice", "owner"), ("bob", "editor")]


def test_the_last_owner_cannot_be_deleted_on_the_delete_page(admin_client, alice, team_a):
    owner = membership(team_a, alice)
    response = admin_client.post(delete_url(owner), {"post": "yes"}, follow=True)
    assert response.redirect_chain == [(change_url(owner), 302)]
    assert LAST_OWNER_MESSAGE in [str(message) for message in response.context["messages"]]
    assert roles(team_a) == [("alice", "owner")]
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


def test_a_member_who_is_not_the_last_owner_is_deleted(admin_client, alice, bob, team_a):
    response = admin_client.post(delete_url(membership(team_a, bob)), {"post": "yes"})
    assert response.status_code == 302
    assert roles(team_a) == [("alice", "owner")]


# --- the bulk delete -------------------------------------------------------------------


def bulk_delete(admin_client, *memberships: Membership):
    return admin_client.post(
        reverse(CHANGELIST),
        {
            "action": "delete_selected",
            "_selected_action": [each.pk for each in memberships],
            "post": "yes",
        },
        follow=True,
    )


def test_the_bulk_delete_refuses_as_a_whole_to_take_the_last_owner(
    admin_client, alice, bob, victor, team_a
):
    """Alice (the only owner) with Bob and Victor: nothing is deleted."""
    selected = [membership(team_a, user) for user in (alice, bob, victor)]
    response = bulk_delete(admin_client, *selected)
    assert response.status_code == 200
    assert LAST_OWNER_MESSAGE in [str(message) for message in response.context["messages"]]
    assert roles(team_a) == [("alice", "owner"), ("bob", "editor"), ("victor", "viewer")]
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


def test_the_bulk_delete_removes_members_when_an_owner_remains(
    admin_client, alice, bob, victor, team_a
):
    response = bulk_delete(admin_client, membership(team_a, bob), membership(team_a, victor))
    assert response.status_code == 200
    assert roles(team_a) == [("alice", "owner")]
    assert LogEntry.objects.filter(action_flag=DELETION).count() == 2


# --- the team page's members -------------------------------------------------------------


@pytest.mark.parametrize(
    "change", [{"role": Role.EDITOR}, {"DELETE": "on"}], ids=["demoted", "removed"]
)
def test_the_team_page_cannot_take_the_last_owner_away(admin_client, alice, bob, team_a, change):
    data = team_page(
        team_a, [row(membership(team_a, alice), **change), row(membership(team_a, bob))]
    )
    response = admin_client.post(change_url(team_a), data)
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.non_form_errors() == [LAST_OWNER_MESSAGE]
    assert roles(team_a) == [("alice", "owner"), ("bob", "editor")]


def test_the_team_page_hands_ownership_over_in_one_save(admin_client, alice, bob, team_a):
    """Bob made owner and Alice removed in the same save: the team keeps an owner."""
    data = team_page(
        team_a,
        [
            row(membership(team_a, alice), DELETE="on"),
            row(membership(team_a, bob), role=Role.OWNER),
        ],
    )
    response = admin_client.post(change_url(team_a), data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset
    assert roles(team_a) == [("bob", "owner")]


def test_a_new_owner_added_on_the_team_page_lets_the_old_one_step_down(
    admin_client, alice, team_a
):
    dora = UserFactory(username="dora")
    data = team_page(
        team_a,
        [row(membership(team_a, alice), role=Role.VIEWER), {"user": dora.pk, "role": "owner"}],
    )
    response = admin_client.post(change_url(team_a), data)
    assert response.status_code == 302
    assert roles(team_a) == [("alice", "viewer"), ("dora", "owner")]


# --- the service, called directly --------------------------------------------------------


def test_the_service_refuses_the_last_owner_on_the_field_that_changes(alice, team_a):
    owner = membership(team_a, alice)
    with pytest.raises(ValidationError) as demoted:
        membership_change_role(membership=owner, role=Role.VIEWER)
    assert demoted.value.message_dict == {"role": [LAST_OWNER_MESSAGE]}
    with pytest.raises(ValidationError) as removed:
        membership_remove(membership=owner)
    assert removed.value.messages == [LAST_OWNER_MESSAGE]
    assert roles(team_a) == [("alice", "owner")]


def test_removing_several_is_all_or_nothing_across_teams(alice, bob, charlie, team_a, team_b):
    """Bob (team A, Alice stays owner) and Charlie (team B's only owner): neither goes."""
    selected = Membership.objects.filter(user__in=[bob, charlie])
    with pytest.raises(ValidationError):
        memberships_remove(memberships=selected)
    assert roles(team_a) == [("alice", "owner"), ("bob", "editor")]
    assert roles(team_b) == [("charlie", "owner")]
    assert memberships_remove(memberships=Membership.objects.filter(user=bob)) == 1
    assert roles(team_a) == [("alice", "owner")]


def test_a_team_without_an_owner_yet_may_lose_its_other_members(db):
    team = TeamFactory(name="New", slug="new")
    viewer = MembershipFactory(team=team, role=Role.VIEWER)
    membership_remove(membership=viewer)
    assert roles(team) == []


def test_a_team_is_created_with_its_first_owner(db):
    dora = UserFactory(username="dora")
    team = team_create(name="Payments", slug="payments", owner=dora)
    assert roles(Team.objects.get(slug="payments")) == [("dora", "owner")]
    assert team.name == "Payments"
