"""Teams and memberships: who sees them, who changes them, and the last-owner rule."""

import pytest
from django.core.cache import cache

from registry.choices import Role
from registry.models import Membership, Team
from tests.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
TEAMS = "/api/v1/teams/"
MEMBERSHIPS = "/api/v1/memberships/"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def everyone(alice, bob, victor, charlie):
    return {"alice": alice, "bob": bob, "victor": victor, "charlie": charlie}


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def team_rows() -> list[tuple]:
    return list(Team.objects.order_by("pk").values_list("pk", "name", "slug"))


def membership_rows() -> list[tuple]:
    return list(Membership.objects.order_by("pk").values_list("pk", "team_id", "user_id", "role"))


def membership(team, user) -> Membership:
    return Membership.objects.get(team=team, user=user)


# --- Teams: reads ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "role"), [("alice", "owner"), ("bob", "editor"), ("victor", "viewer")]
)
def test_members_see_their_team_with_their_role_and_member_count(api, everyone, username, role):
    response = api.as_user(everyone[username]).get(TEAMS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"] == [
        {
            "id": everyone["alice"].teams.get().pk,
            "name": "Team A",
            "slug": "team-a",
            "role": role,
            "member_count": 3,
        }
    ]


def test_another_teams_member_sees_only_his_team(api, everyone, team_a, team_b):
    response = api.as_user(everyone["charlie"]).get(TEAMS)
    assert [team["slug"] for team in response.json()["results"]] == ["team-b"]
    assert api.get(f"{TEAMS}{team_a.pk}/").status_code == 404
    detail = api.get(f"{TEAMS}{team_b.pk}/").json()
    assert (detail["role"], detail["member_count"]) == ("owner", 1)


def test_a_superuser_sees_every_team_and_has_no_role_where_not_a_member(
    api, everyone, root, team_a, team_b
):
    MembershipFactory(team=team_b, user=root, role=Role.VIEWER)
    body = api.as_user(root).get(TEAMS).json()
    assert [(team["slug"], team["role"], team["member_count"]) for team in body["results"]] == [
        ("team-a", None, 3),
        ("team-b", "viewer", 2),
    ]


def test_anonymous_gets_401_on_teams(api, team_a):
    assert api.get(TEAMS).status_code == 401
    assert api.get(f"{TEAMS}{team_a.pk}/").status_code == 401
    assert api.post(TEAMS, {"name": "X", "slug": "x"}).status_code == 401
    assert api.patch(f"{TEAMS}{team_a.pk}/", {"name": "X"}).status_code == 401
    assert team_rows() == [(team_a.pk, "Team A", "team-a")]


# --- Teams: writes ---------------------------------------------------------------------


def test_a_superuser_creates_a_team(api, root):
    response = api.as_user(root).post(TEAMS, {"name": "Payments", "slug": "payments"})
    assert response.status_code == 201, response.data
    assert response.json() == {
        "id": Team.objects.get(slug="payments").pk,
        "name": "Payments",
        "slug": "payments",
        "role": None,
        "member_count": 0,
    }


def test_a_superuser_creates_a_team_with_its_first_owner(api, root):
    UserFactory(username="dora")
    response = api.as_user(root).post(
        TEAMS, {"name": "Payments", "slug": "payments", "owner": "dora"}
    )
    assert response.status_code == 201, response.data
    assert (response.json()["member_count"], "owner" in response.json()) == (1, False)
    team = Team.objects.get(slug="payments")
    assert list(team.memberships.values_list("user__username", "role")) == [("dora", "owner")]


def test_an_unknown_first_owner_creates_no_team(api, root):
    response = api.as_user(root).post(
        TEAMS, {"name": "Payments", "slug": "payments", "owner": "nobody"}
    )
    assert response.status_code == 400
    assert "owner" in response.json()
    assert not Team.objects.filter(slug="payments").exists()


@pytest.mark.parametrize("username", ["alice", "bob", "victor", "charlie"])
def test_only_superusers_create_teams(api, everyone, username):
    before = team_rows()
    response = api.as_user(everyone[username]).post(TEAMS, {"name": "Mine", "slug": "mine"})
    assert response.status_code == 403
    assert team_rows() == before


def test_team_names_and_slugs_are_validated(api, root, team_a):
    response = api.as_user(root).post(TEAMS, {"name": "", "slug": "not a slug"})
    assert response.status_code == 400
    assert set(response.json()) == {"name", "slug"}


def test_an_owner_renames_the_team(api, alice, team_a):
    response = api.as_user(alice).patch(f"{TEAMS}{team_a.pk}/", {"name": "Checkout"})
    assert response.status_code == 200, response.data
    assert response.json()["name"] == "Checkout"
    assert response.json()["role"] == "owner"
    assert Team.objects.get(pk=team_a.pk).name == "Checkout"


@pytest.mark.parametrize(("username", "status"), [("bob", 403), ("victor", 403), ("charlie", 404)])
def test_only_owners_rename_the_team(api, everyone, team_a, username, status):
    before = team_rows()
    user = everyone[username]
    assert api.as_user(user).patch(f"{TEAMS}{team_a.pk}/", {"name": "X"}).status_code == status
    assert api.put(f"{TEAMS}{team_a.pk}/", {"name": "X", "slug": "x"}).status_code == status
    assert team_rows() == before


def test_teams_are_not_deleted_through_the_api(api, alice, root, team_a):
    assert api.as_user(alice).delete(f"{TEAMS}{team_a.pk}/").status_code == 405
    assert api.as_user(root).delete(f"{TEAMS}{team_a.pk}/").status_code == 405
    assert Team.objects.filter(pk=team_a.pk).exists()


def test_team_list_queries_do_not_grow_with_the_page(api, root, django_assert_max_num_queries):
    for number in range(30):
        team = TeamFactory(name=f"Team {number:02}", slug=f"team-{number:02}")
        MembershipFactory.create_batch(2, team=team, role=Role.EDITOR)
    MembershipFactory(team=team, user=root, role=Role.OWNER)
    api.as_user(root)
    for page_size in (10, 500):
        with django_assert_max_num_queries(2):
            response = api.get(TEAMS, {"page_size": page_size})
        assert len(response.json()["results"]) == min(page_size, 30)
    assert response.json()["results"][-1]["member_count"] == 3


# --- Memberships: reads ----------------------------------------------------------------


@pytest.mark.parametrize("username", ["alice", "bob", "victor"])
def test_members_list_their_teams_memberships(api, everyone, team_a, username):
    response = api.as_user(everyone[username]).get(MEMBERSHIPS)
    assert response.status_code == 200
    rows = [(row["team"], row["user"], row["role"]) for row in response.json()["results"]]
    assert rows == [
        (team_a.pk, "alice", "owner"),
        (team_a.pk, "bob", "editor"),
        (team_a.pk, "victor", "viewer"),
    ]


def test_memberships_of_another_team_are_hidden(api, everyone, team_a, team_b):
    response = api.as_user(everyone["charlie"]).get(MEMBERSHIPS)
    assert [row["user"] for row in response.json()["results"]] == ["charlie"]
    hidden = membership(team_a, everyone["victor"])
    assert api.get(f"{MEMBERSHIPS}{hidden.pk}/").status_code == 404
    assert api.get(MEMBERSHIPS, {"team": team_a.pk}).json()["count"] == 0


def test_memberships_filter_by_role_and_user(api, everyone):
    api.as_user(everyone["victor"])
    by_role = api.get(MEMBERSHIPS, {"role": ["owner", "editor"]}).json()["results"]
    assert [row["user"] for row in by_role] == ["alice", "bob"]
    by_user = api.get(MEMBERSHIPS, {"user": "bob"}).json()["results"]
    assert [row["role"] for row in by_user] == ["editor"]


def test_memberships_sort_by_role_from_least_to_most_rights(api, everyone):
    """viewer < editor < owner, not alphabetically (editor, owner, viewer)."""
    api.as_user(everyone["alice"])
    ascending = api.get(
        MEMBERSHIPS, {"team": everyone["alice"].memberships.get().team_id, "ordering": "role"}
    )
    assert [row["role"] for row in ascending.json()["results"]] == ["viewer", "editor", "owner"]
    descending = api.get(MEMBERSHIPS, {"ordering": "-role,user__username"}).json()["results"]
    assert [row["role"] for row in descending] == ["owner", "editor", "viewer"]


def test_anonymous_gets_401_on_memberships(api, everyone, team_a):
    before = membership_rows()
    row = membership(team_a, everyone["victor"])
    assert api.get(MEMBERSHIPS).status_code == 401
    assert api.get(f"{MEMBERSHIPS}{row.pk}/").status_code == 401
    new = {"team": team_a.pk, "user": "charlie", "role": "owner"}
    assert api.post(MEMBERSHIPS, new).status_code == 401
    assert api.patch(f"{MEMBERSHIPS}{row.pk}/", {"role": "owner"}).status_code == 401
    assert api.delete(f"{MEMBERSHIPS}{row.pk}/").status_code == 401
    assert membership_rows() == before


def test_membership_list_queries_do_not_grow_with_the_page(
    api, alice, team_a, django_assert_max_num_queries
):
    MembershipFactory.create_batch(40, team=team_a, role=Role.VIEWER)
    api.as_user(alice)
    for page_size in (10, 500):
        with django_assert_max_num_queries(2):
            response = api.get(MEMBERSHIPS, {"page_size": page_size})
        assert len(response.json()["results"]) == min(page_size, 41)


# --- Memberships: writes ---------------------------------------------------------------


def test_an_owner_invites_changes_and_removes_a_member(api, alice, team_a):
    """Dora joins by accepting (tests/test_invitations.py); then her owner manages her."""
    dora = UserFactory(username="dora")
    invited = api.as_user(alice).post(
        "/api/v1/invitations/", {"team": team_a.pk, "username": "dora", "role": "editor"}
    )
    assert invited.status_code == 201, invited.data
    accepted = api.as_user(dora).post(f"/api/v1/invitations/{invited.json()['id']}/accept/")
    assert accepted.status_code == 200, accepted.data
    assert accepted.json() == {
        "id": membership(team_a, dora).pk,
        "team": team_a.pk,
        "user": "dora",
        "role": "editor",
    }
    url = f"{MEMBERSHIPS}{accepted.json()['id']}/"
    api.as_user(alice)

    changed = api.patch(url, {"role": "owner"})
    assert changed.status_code == 200, changed.data
    assert membership(team_a, dora).role == Role.OWNER

    assert api.delete(url).status_code == 204
    assert not Membership.objects.filter(team=team_a, user=dora).exists()


@pytest.mark.parametrize("username", ["dora", "nobody"])
def test_owners_add_no_member_directly_whether_or_not_the_user_exists(
    api, alice, team_a, username
):
    """Members join by invitation: an owner's direct add answers one 403 for every name."""
    UserFactory(username="dora")
    before = membership_rows()
    response = api.as_user(alice).post(MEMBERSHIPS, {"team": team_a.pk, "user": username})
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Members join by invitation: invite them with POST invitations/."
    }
    assert membership_rows() == before


@pytest.mark.parametrize("username", ["bob", "victor"])
def test_editors_and_viewers_cannot_manage_members(api, everyone, team_a, username):
    UserFactory(username="dora")
    before = membership_rows()
    api.as_user(everyone[username])
    victor_url = f"{MEMBERSHIPS}{membership(team_a, everyone['victor']).pk}/"

    new = {"team": team_a.pk, "user": "dora", "role": "owner"}
    assert api.post(MEMBERSHIPS, new).status_code == 403
    assert api.patch(victor_url, {"role": "owner"}).status_code == 403
    put = {"team": team_a.pk, "user": "victor", "role": "owner"}
    assert api.put(victor_url, put).status_code == 403
    assert api.delete(victor_url).status_code == 403
    assert membership_rows() == before


def test_another_teams_owner_cannot_touch_or_join_the_team(api, everyone, team_a):
    before = membership_rows()
    api.as_user(everyone["charlie"])
    victor_url = f"{MEMBERSHIPS}{membership(team_a, everyone['victor']).pk}/"

    assert api.patch(victor_url, {"role": "owner"}).status_code == 404
    assert api.delete(victor_url).status_code == 404
    joined = api.post(MEMBERSHIPS, {"team": team_a.pk, "user": "charlie", "role": "owner"})
    assert joined.status_code == 403
    assert membership_rows() == before


def test_an_owner_cannot_add_members_to_another_team(api, alice, team_b, charlie):
    before = membership_rows()
    response = api.as_user(alice).post(MEMBERSHIPS, {"team": team_b.pk, "user": "alice"})
    assert response.status_code == 403
    assert membership_rows() == before


def test_a_superuser_adds_the_first_owner_of_a_new_team(api, root):
    team = TeamFactory(name="Payments", slug="payments")
    UserFactory(username="dora")
    response = api.as_user(root).post(
        MEMBERSHIPS, {"team": team.pk, "user": "dora", "role": "owner"}
    )
    assert response.status_code == 201, response.data
    assert api.get(f"{TEAMS}{team.pk}/").json()["member_count"] == 1


def test_a_user_is_a_member_once(api, alice, bob, root, team_a):
    before = membership_rows()
    response = api.as_user(root).post(
        MEMBERSHIPS, {"team": team_a.pk, "user": "bob", "role": "owner"}
    )
    assert response.status_code == 400
    assert response.json() == {"user": ["This user is already a member of the team."]}
    assert membership_rows() == before


def test_a_superusers_direct_add_refuses_unknown_users_and_roles(api, root, team_a):
    """Superusers, who see every user anyway, still add members directly."""
    before = membership_rows()
    api.as_user(root)
    unknown = api.post(MEMBERSHIPS, {"team": team_a.pk, "user": "nobody"})
    assert unknown.status_code == 400
    assert "user" in unknown.json()
    UserFactory(username="dora")
    bad_role = api.post(MEMBERSHIPS, {"team": team_a.pk, "user": "dora", "role": "admin"})
    assert bad_role.status_code == 400
    assert "role" in bad_role.json()
    assert membership_rows() == before


def test_a_membership_keeps_its_team_and_user(api, alice, victor, team_a, team_b):
    MembershipFactory(team=team_b, user=alice, role=Role.OWNER)
    UserFactory(username="dora")
    before = membership_rows()
    api.as_user(alice)
    url = f"{MEMBERSHIPS}{membership(team_a, victor).pk}/"

    moved = api.patch(url, {"team": team_b.pk})
    assert moved.status_code == 400
    assert "team" in moved.json()
    swapped = api.patch(url, {"user": "dora"})
    assert swapped.status_code == 400
    assert "user" in swapped.json()
    same = api.put(url, {"team": team_a.pk, "user": "victor", "role": "editor"})
    assert same.status_code == 200, same.data
    assert membership(team_a, victor).role == Role.EDITOR
    assert len(membership_rows()) == len(before)


# --- The last owner --------------------------------------------------------------------


def test_the_last_owner_cannot_step_down(api, alice, bob, team_a):
    before = membership_rows()
    url = f"{MEMBERSHIPS}{membership(team_a, alice).pk}/"
    api.as_user(alice)

    demoted = api.patch(url, {"role": "editor"})
    assert demoted.status_code == 400
    assert demoted.json() == {
        "role": ["A team must keep at least one owner: make another member owner first."]
    }
    removed = api.delete(url)
    assert removed.status_code == 400
    assert removed.json() == {
        "non_field_errors": [
            "A team must keep at least one owner: make another member owner first."
        ]
    }
    assert membership_rows() == before


def test_an_owner_steps_down_once_there_is_another_owner(api, alice, bob, team_a):
    api.as_user(alice)
    bob_url = f"{MEMBERSHIPS}{membership(team_a, bob).pk}/"
    alice_url = f"{MEMBERSHIPS}{membership(team_a, alice).pk}/"
    assert api.patch(bob_url, {"role": "owner"}).status_code == 200
    assert api.patch(alice_url, {"role": "viewer"}).status_code == 200
    # Alice is now a viewer: she may no longer manage members; Bob, the last owner,
    # cannot leave.
    assert api.delete(bob_url).status_code == 403
    api.as_user(bob)
    assert api.delete(bob_url).status_code == 400
    assert api.delete(alice_url).status_code == 204
    assert list(team_a.memberships.values_list("user__username", "role")) == [("bob", "owner")]


def test_a_superuser_cannot_remove_the_last_owner_either(api, alice, root, team_a):
    url = f"{MEMBERSHIPS}{membership(team_a, alice).pk}/"
    assert api.as_user(root).delete(url).status_code == 400
    assert api.patch(url, {"role": "viewer"}).status_code == 400
    assert membership(team_a, alice).role == Role.OWNER


def test_an_owner_keeps_the_role_when_saved_unchanged(api, alice, team_a):
    url = f"{MEMBERSHIPS}{membership(team_a, alice).pk}/"
    response = api.as_user(alice).patch(url, {"role": "owner"})
    assert response.status_code == 200, response.data
