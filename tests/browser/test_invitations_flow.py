"""An invitation in the browser, through its expiry: the invited user sees the live one
with its date, and the expired link says so and offers nothing to accept."""

import datetime

from django.db.models import F

from registry.choices import Role
from registry.models import Invitation, Membership, Team
from tests.browser.conftest import log_in, screenshot
from tests.factories import MembershipFactory, TeamFactory, UserFactory


def test_the_invited_user_sees_the_live_invitation_and_the_expired_link_says_so(people, new_page):
    alice = people.memberships.get(role=Role.OWNER).user
    dora = UserFactory(username="dora")
    other = TeamFactory(name="Team B", slug="team-b")
    MembershipFactory(team=other, user=alice, role=Role.OWNER)
    live = Invitation.objects.create(
        team=people, username="dora", role=Role.EDITOR, invited_by=alice
    )
    old = Invitation.objects.create(
        team=other, username="dora", role=Role.VIEWER, invited_by=alice
    )
    Invitation.objects.filter(pk=old.pk).update(
        created_at=F("created_at") - datetime.timedelta(days=30),
        expires_at=F("expires_at") - datetime.timedelta(days=30),
    )
    old.refresh_from_db()

    page = new_page()
    log_in(page, "dora")
    page.goto("/invitations/")
    rows = page.locator("table tbody tr")
    assert rows.count() == 1
    assert "Team A" in rows.first.inner_text()
    assert f"{live.expires_at:%-d %b %Y}" in rows.first.inner_text()
    screenshot(page, "invitations-list")

    page.goto(f"/invitations/{old.token}/")
    assert page.get_by_role("heading", level=1).inner_text() == "This invitation has expired"
    assert (
        "ask one of the team's owners to invite you again"
        in page.get_by_role("alert").inner_text()
    )
    assert page.get_by_role("button", name="Accept").count() == 0
    screenshot(page, "invitation-expired")

    page.goto(f"/invitations/{live.token}/")
    page.get_by_role("button", name="Accept").click()
    page.wait_for_url("**/")
    assert Membership.objects.get(user=dora, team=people).role == Role.EDITOR
    assert not Membership.objects.filter(user=dora, team=Team.objects.get(slug="team-b")).exists()
