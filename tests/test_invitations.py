"""No existence oracle across teams: renaming one's team tells nothing about other
teams, and members join by invitation, answered the same whether or not the user name
exists, and accepted by the invited user (in the API, by the link, or after signing in).
"""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from rest_framework.test import APIClient

from registry.choices import Role
from registry.models import Invitation, Membership, Team
from tests.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
TEAMS = "/api/v1/teams/"
INVITATIONS = "/api/v1/invitations/"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def dora(db):
    return UserFactory(username="dora", password="password")


def invite(api, owner, team, username, role="editor"):
    api.force_authenticate(owner)
    return api.post(INVITATIONS, {"team": team.pk, "username": username, "role": role})


# --- Renaming a team -------------------------------------------------------------------


def test_an_owner_may_rename_the_team_to_another_teams_name(api, alice, charlie, team_a):
    """Names are not unique: "Team B" is accepted like any other name."""
    api.force_authenticate(alice)
    response = api.patch(f"{TEAMS}{team_a.pk}/", {"name": "Team B"})
    assert response.status_code == 200, response.data
    assert Team.objects.filter(name="Team B").count() == 2


@pytest.mark.parametrize("slug", ["team-b", "free-slug"])
def test_an_owners_slug_change_is_refused_alike_whether_or_not_the_slug_is_taken(
    api, alice, charlie, team_a, slug
):
    api.force_authenticate(alice)
    response = api.patch(f"{TEAMS}{team_a.pk}/", {"slug": slug})
    assert response.status_code == 400
    assert response.json() == {"slug": ["Only an administrator changes a team's slug."]}
    assert Team.objects.get(pk=team_a.pk).slug == "team-a"


def test_an_owner_may_send_the_unchanged_slug(api, alice, team_a):
    api.force_authenticate(alice)
    response = api.put(f"{TEAMS}{team_a.pk}/", {"name": "Checkout", "slug": "team-a"})
    assert response.status_code == 200, response.data


def test_slugs_stay_unique_for_superusers_who_see_every_team(api, team_a, team_b):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    api.force_authenticate(root)
    taken = api.patch(f"{TEAMS}{team_a.pk}/", {"slug": "team-b"})
    assert taken.status_code == 400
    assert "slug" in taken.json()
    assert api.patch(f"{TEAMS}{team_a.pk}/", {"slug": "checkout"}).status_code == 200


# --- Inviting ----------------------------------------------------------------------------


def test_an_invitation_answers_alike_whether_or_not_the_user_exists(api, alice, team_a, dora):
    existing = invite(api, alice, team_a, "dora")
    unknown = invite(api, alice, team_a, "nobody")
    assert (existing.status_code, unknown.status_code) == (201, 201)
    ignore = {"id", "created_at", "expires_at", "link"}

    def shape(body: dict) -> dict:
        return {key: value for key, value in body.items() if key not in ignore}

    assert shape(existing.json()) == {**shape(unknown.json()), "username": "dora"}
    assert shape(existing.json()) == {
        "team": team_a.pk,
        "team_name": "Team A",
        "username": "dora",
        "role": "editor",
        "invited_by": "alice",
        "expired": False,
    }
    assert existing.json()["link"].startswith("http://testserver/invitations/")
    # Nobody joined: dora is invited, not a member.
    assert not Membership.objects.filter(user=dora).exists()


def test_an_invited_name_is_normalised_as_sign_in_reads_it(api, alice, team_a):
    response = invite(api, alice, team_a, " \uff44\uff4f\uff52\uff41 ")  # fullwidth "dora"
    assert response.status_code == 201
    assert response.json()["username"] == "dora"


def test_the_role_defaults_to_viewer(api, alice, team_a):
    api.force_authenticate(alice)
    response = api.post(INVITATIONS, {"team": team_a.pk, "username": "dora"})
    assert response.json()["role"] == "viewer"


def test_a_member_or_an_invited_name_is_not_invited_twice(api, alice, bob, team_a):
    assert invite(api, alice, team_a, "bob").json() == {
        "username": ["This user is already a member of the team."]
    }
    assert invite(api, alice, team_a, "dora").status_code == 201
    assert invite(api, alice, team_a, "dora").json() == {
        "username": ["This user name is already invited to the team."]
    }
    assert Invitation.objects.count() == 1


@pytest.mark.parametrize(("username", "status"), [("bob", 403), ("victor", 403), ("charlie", 400)])
def test_only_the_teams_owners_invite(api, alice, bob, victor, charlie, team_a, username, status):
    """Editors and viewers get 403; another team's owner finds no such team (400)."""
    users = {"bob": bob, "victor": victor, "charlie": charlie}
    response = invite(api, users[username], team_a, "dora", role="owner")
    assert response.status_code == status
    assert not Invitation.objects.exists()


# --- Accepting and declining -------------------------------------------------------------


def test_the_invited_user_sees_the_invitation_and_accepts_it(api, alice, team_a, dora):
    invitation_id = invite(api, alice, team_a, "dora").json()["id"]
    api.force_authenticate(dora)
    listed = api.get(INVITATIONS).json()["results"]
    assert [(row["id"], row["team_name"], row["role"]) for row in listed] == [
        (invitation_id, "Team A", "editor")
    ]
    accepted = api.post(f"{INVITATIONS}{invitation_id}/accept/")
    assert accepted.status_code == 200, accepted.data
    assert accepted.json()["role"] == "editor"
    assert Membership.objects.get(team=team_a, user=dora).role == Role.EDITOR
    assert not Invitation.objects.exists()
    assert [team["name"] for team in api.get(TEAMS).json()["results"]] == ["Team A"]


def test_nobody_else_accepts_an_invitation(api, alice, charlie, team_a, dora):
    """Another user does not see it (404); an owner who sent it cannot accept it (403)."""
    invitation_id = invite(api, alice, team_a, "dora").json()["id"]
    api.force_authenticate(charlie)
    assert api.post(f"{INVITATIONS}{invitation_id}/accept/").status_code == 404
    assert api.get(INVITATIONS).json()["results"] == []
    api.force_authenticate(alice)
    assert api.post(f"{INVITATIONS}{invitation_id}/accept/").status_code == 403
    assert not Membership.objects.filter(user=dora).exists()


def test_the_invited_user_declines_and_an_owner_withdraws(api, alice, team_a, dora):
    first = invite(api, alice, team_a, "dora").json()["id"]
    second = invite(api, alice, team_a, "erin").json()["id"]
    api.force_authenticate(dora)
    assert api.delete(f"{INVITATIONS}{first}/").status_code == 204
    assert api.delete(f"{INVITATIONS}{second}/").status_code == 404  # not hers
    api.force_authenticate(alice)
    assert api.delete(f"{INVITATIONS}{second}/").status_code == 204
    assert not Invitation.objects.exists()
    assert not Membership.objects.filter(user=dora).exists()


def test_an_editor_of_the_team_does_not_see_its_invitations(api, alice, bob, team_a):
    invite(api, alice, team_a, "dora")
    api.force_authenticate(bob)
    assert api.get(INVITATIONS).json()["count"] == 0


def test_the_invitation_list_runs_a_fixed_number_of_queries(
    api, alice, team_a, django_assert_max_num_queries
):
    for n in range(15):
        Invitation.objects.create(team=team_a, username=f"user{n}", invited_by=alice)
    api.force_authenticate(alice)
    with django_assert_max_num_queries(4):
        response = api.get(INVITATIONS)
    assert response.json()["count"] == 15


def test_accepting_an_owner_invitation_keeps_the_last_owner_rule_working(api, alice, team_a, dora):
    """Dora joins as owner; then alice may step down, and dora may not."""
    invitation_id = invite(api, alice, team_a, "dora", role="owner").json()["id"]
    api.force_authenticate(dora)
    api.post(f"{INVITATIONS}{invitation_id}/accept/")
    alice_membership = Membership.objects.get(team=team_a, user=alice)
    api.force_authenticate(alice)
    stepped_down = api.patch(f"/api/v1/memberships/{alice_membership.pk}/", {"role": "viewer"})
    assert stepped_down.status_code == 200
    dora_membership = Membership.objects.get(team=team_a, user=dora)
    api.force_authenticate(dora)
    refused = api.patch(f"/api/v1/memberships/{dora_membership.pk}/", {"role": "viewer"})
    assert refused.status_code == 400


# --- In the browser ----------------------------------------------------------------------


def test_signing_in_announces_waiting_invitations(client, alice, team_a, dora):
    Invitation.objects.create(team=team_a, username="dora", role=Role.EDITOR, invited_by=alice)
    response = client.post(
        "/accounts/login/", {"username": "dora", "password": "password"}, follow=True
    )
    page = response.content.decode()
    assert "You have an invitation to join a team." in page
    assert 'href="/invitations/">See your invitations</a>' in page


def test_the_invited_user_accepts_in_the_browser(client, alice, team_a, dora):
    Invitation.objects.create(team=team_a, username="dora", role=Role.EDITOR, invited_by=alice)
    client.force_login(dora)
    listing = client.get("/invitations/").content.decode()
    assert "Team A" in listing and "Editor" in listing
    invitation = Invitation.objects.get()
    response = client.post("/invitations/", {"invitation": invitation.pk, "decision": "accept"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    dashboard = client.get("/").content.decode()
    assert "You joined Team A as editor." in dashboard
    assert Membership.objects.get(team=team_a, user=dora).role == Role.EDITOR


def test_the_link_opens_the_invitation_for_its_addressee_only(
    client, alice, charlie, team_a, dora
):
    invitation = Invitation.objects.create(
        team=team_a, username="dora", role=Role.VIEWER, invited_by=alice
    )
    link = f"/invitations/{invitation.token}/"
    client.force_login(charlie)
    assert client.get(link).status_code == 404
    assert client.post(link, {"decision": "accept"}).status_code == 404
    client.force_login(dora)
    page = client.get(link).content.decode()
    assert "Join Team A?" in page
    assert "alice invited you to join the team as viewer" in page
    assert client.post(link, {"decision": "decline"}).status_code == 302
    assert not Invitation.objects.exists()
    assert not Membership.objects.filter(user=dora).exists()


def test_the_link_sends_a_signed_out_visitor_to_sign_in_first(client, alice, team_a):
    invitation = Invitation.objects.create(team=team_a, username="dora", invited_by=alice)
    response = client.get(f"/invitations/{invitation.token}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/invitations/")


def test_a_user_without_a_team_is_pointed_to_the_invitations(client, dora):
    client.force_login(dora)
    page = client.get("/").content.decode()
    assert 'href="/invitations/"' in page
    assert "No invitations waiting" in client.get("/invitations/").content.decode()


def test_another_teams_member_who_is_invited_keeps_his_team(
    client, alice, charlie, team_a, team_b
):
    Invitation.objects.create(team=team_a, username="charlie", role=Role.VIEWER, invited_by=alice)
    MembershipFactory(team=TeamFactory(name="Team C", slug="team-c"), user=charlie)
    client.force_login(charlie)
    invitation = Invitation.objects.get()
    client.post("/invitations/", {"invitation": invitation.pk, "decision": "accept"})
    teams = set(Membership.objects.filter(user=charlie).values_list("team__slug", flat=True))
    assert teams == {"team-a", "team-b", "team-c"}


# --- Expiry ------------------------------------------------------------------------------


def expire(invitation: Invitation) -> None:
    """As if FMEA_INVITATION_DAYS had passed since the invitation was made."""
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=F("created_at") - datetime.timedelta(days=30),
        expires_at=F("expires_at") - datetime.timedelta(days=30),
    )
    invitation.refresh_from_db()


def test_an_invitation_expires_the_configured_days_after_it_is_made(api, alice, team_a, settings):
    settings.FMEA_INVITATION_DAYS = 3
    body = invite(api, alice, team_a, "dora").json()
    made = datetime.datetime.fromisoformat(body["created_at"])
    until = datetime.datetime.fromisoformat(body["expires_at"])
    # Three days, to within the instant between the two stamps.
    assert abs(until - made - datetime.timedelta(days=3)) < datetime.timedelta(seconds=1)
    assert body["expired"] is False


def test_an_expired_invitation_is_refused_in_the_api_and_nothing_changes(api, alice, team_a, dora):
    invitation = Invitation.objects.get(pk=invite(api, alice, team_a, "dora").json()["id"])
    expire(invitation)
    api.force_authenticate(dora)
    listed = api.get(INVITATIONS).json()["results"]
    assert [(row["id"], row["expired"]) for row in listed] == [(invitation.pk, True)]
    response = api.post(f"{INVITATIONS}{invitation.pk}/accept/")
    assert response.status_code == 400
    until = invitation.expires_at.strftime("%Y-%m-%d")
    assert response.json() == {
        "non_field_errors": [
            f"This invitation to Team A expired on {until}: ask one of the team's owners "
            "to invite you again."
        ]
    }
    assert not Membership.objects.filter(user=dora).exists()
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_inviting_the_name_again_renews_an_expired_invitation_but_not_a_live_one(
    api, alice, team_a
):
    first = Invitation.objects.get(pk=invite(api, alice, team_a, "dora").json()["id"])
    again = invite(api, alice, team_a, "dora")
    assert again.status_code == 400  # still live: already invited
    assert "username" in again.json()
    expire(first)
    renewed = invite(api, alice, team_a, "dora", role="viewer")
    assert renewed.status_code == 201, renewed.json()
    (invitation,) = Invitation.objects.filter(team=team_a, username="dora")
    assert invitation.pk != first.pk and invitation.token != first.token
    assert not invitation.expired and invitation.role == Role.VIEWER


def test_the_expired_link_says_so_in_the_browser_and_cannot_be_accepted(
    client, alice, team_a, dora
):
    invitation = Invitation.objects.create(
        team=team_a, username="dora", role=Role.EDITOR, invited_by=alice
    )
    expire(invitation)
    client.force_login(dora)
    link = f"/invitations/{invitation.token}/"
    page = client.get(link)
    assert page.status_code == 410
    text = page.content.decode()
    assert "This invitation has expired" in text
    assert 'value="accept"' not in text
    accepted = client.post(link, {"decision": "accept"})
    assert accepted.status_code == 410
    assert "ask one of the team&#x27;s owners to invite you again" in accepted.content.decode()
    assert not Membership.objects.filter(user=dora).exists()
    # Not waiting any more: neither listed nor announced at sign-in.
    assert "No invitations waiting" in client.get("/invitations/").content.decode()
    client.logout()
    signed_in = client.post(
        "/accounts/login/", {"username": "dora", "password": "password"}, follow=True
    )
    assert "You have an invitation" not in signed_in.content.decode()


def test_the_database_refuses_an_invitation_that_expires_before_it_is_made(alice, team_a):
    invitation = Invitation.objects.create(team=team_a, username="dora", invited_by=alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=F("created_at"))
