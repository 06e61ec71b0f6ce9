"""The failure-mode list's count: cached between pages, never stale after a change.

Every change that can alter what a list counts must show in the next page's count,
whichever way it was written: the API, bulk ORM calls, raw SQL, a step moved to
another application, an application to another tier, a tier renumbered, a
membership removed. The database's triggers bump the team's revision; these tests
read the count through the API after each change.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from registry.choices import Role
from registry.db import counts
from registry.db.counts import cached_count, team_revisions
from registry.models import FailureMode, Membership, Step, TeamRevision, Tier
from tests.factories import (
    ApplicationFactory,
    FailureModeFactory,
    MembershipFactory,
    StepFactory,
    TierFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/failure-modes/"


@pytest.fixture
def register(postgres, team_a, team_b):
    """Team A: two applications in tiers 1 and 2, three failure modes; team B: one."""
    tier_1, tier_2 = TierFactory(level=1), TierFactory(level=2)
    checkout = StepFactory(application=ApplicationFactory(team=team_a, tier=tier_1))
    search = StepFactory(application=ApplicationFactory(team=team_a, tier=tier_2))
    FailureModeFactory.create_batch(2, step=checkout, status="open")
    FailureModeFactory(step=search, status="open")
    FailureModeFactory(step=StepFactory(application=ApplicationFactory(team=team_b)))
    return {"checkout": checkout, "search": search, "tier_1": tier_1, "tier_2": tier_2}


def count(api, user, query: str = "") -> int:
    response = api.as_user(user).get(f"{URL}?page_size=1{query}")
    assert response.status_code == 200, response.content
    return response.json()["count"]


def count_queries(api, user, query: str = "") -> int:
    with CaptureQueriesContext(connection) as captured:
        count(api, user, query)
    return sum("COUNT(" in entry["sql"].upper() for entry in captured.captured_queries)


def test_the_next_page_does_not_count_again(api, alice, register):
    """Paging through the list counts once; the count stays exact."""
    assert count_queries(api, alice) == 1
    assert count_queries(api, alice, "&page=2") == 0
    assert count(api, alice, "&page=3") == 3
    # Other filters are other counts.
    assert count_queries(api, alice, "&status=closed") == 1
    assert count(api, alice, "&status=closed") == 0
    # A bound past the column's range selects nothing without a query.
    assert count(api, alice, "&rpn_min=3443025266905665") == 0


def test_writes_through_the_api_show_at_once(api, alice, register):
    assert count(api, alice) == 3
    body = {
        "step": register["checkout"].pk,
        "mode": "Card processor down",
        "effect": "No payments",
        "cause": "Provider outage",
        "failure_category": "single_point_of_failure",
        "severity": 8,
        "probability": 4,
        "detectability": 3,
    }
    created = api.post(URL, body, format="json").json()
    assert count(api, alice) == 4
    # One failure mode per step, component and mode: the bulk rows say what differs.
    api.post(
        URL,
        [{**body, "mode": "Card processor slow"}, {**body, "mode": "Card processor refuses"}],
        format="json",
    )
    assert count(api, alice) == 6
    closed = {"status": "closed", "closed_reason": "The provider was replaced."}
    api.patch(f"{URL}{created['id']}/", closed, format="json")
    assert count(api, alice, "&status=open") == 5
    api.delete(f"{URL}{created['id']}/")
    assert count(api, alice) == 5


def test_bulk_and_raw_sql_writes_show_at_once(api, alice, team_a, register):
    """Writes that send no signals: queryset update and delete, bulk_create, raw SQL."""
    assert count(api, alice, "&status=open") == 3
    FailureMode.objects.filter(team=team_a).update(status="closed", closed_reason="Retired.")
    assert count(api, alice, "&status=open") == 0
    template = FailureMode.objects.filter(team=team_a).first()
    template.pk = None
    template.mode = f"{template.mode} (copy)"
    FailureMode.objects.bulk_create([template])
    assert count(api, alice) == 4
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM registry_failuremode WHERE id = %s", [template.pk])
    assert count(api, alice) == 3
    FailureMode.objects.filter(team=team_a, step=register["search"]).delete()
    assert count(api, alice) == 2


def test_moving_a_step_or_an_application_shows_in_their_filters(api, alice, register):
    checkout, search = register["checkout"], register["search"]
    assert count(api, alice, f"&application={search.application_id}") == 1
    Step.objects.filter(pk=checkout.pk).update(application=search.application)
    assert count(api, alice, f"&application={search.application_id}") == 3
    assert count(api, alice, "&tier=2") == 3
    search.application.tier = register["tier_1"]
    search.application.save()
    assert count(api, alice, "&tier=2") == 0
    Tier.objects.filter(pk=register["tier_1"].pk).update(level=3)
    assert count(api, alice, "&tier=3") == 3


def test_a_removed_membership_shows_at_once(api, alice, bob, team_b, register):
    """A user's count covers the teams they belong to now."""
    MembershipFactory(team=team_b, user=bob, role=Role.VIEWER)
    assert count(api, bob) == 4
    Membership.objects.filter(team=team_b, user=bob).delete()
    assert count(api, bob) == 3


def test_a_superuser_counts_every_team(api, register):
    admin = UserFactory(is_superuser=True)
    assert count(api, admin) == 4
    FailureMode.objects.filter(team__slug="team-b").delete()
    assert count(api, admin) == 3


def last_revision() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM registry_teamrevision_seq")
        return cursor.fetchone()[0]


def test_a_revision_changes_once_per_statement_and_never_repeats(team_a, register):
    """A statement that changes three failure modes draws one new revision for their
    team from the sequence (a row-level trigger would draw three)."""
    for change in ({"status": "mitigating"}, {"severity": 7}):
        drawn = last_revision()
        assert FailureMode.objects.filter(team=team_a).update(**change) == 3
        assert TeamRevision.objects.get(team_id=team_a.pk).revision == drawn + 1
        assert last_revision() == drawn + 1


def test_a_deleted_team_leaves_no_revision(team_b, register):
    team_b.delete()
    assert not TeamRevision.objects.filter(team_id=team_b.pk).exists()


def test_an_unreachable_cache_still_counts(alice, team_a, register):
    """With the cache down the count is made directly: a slower page, not an error."""
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    with override_settings(CACHES=unreachable):
        assert cached_count(FailureMode.objects.visible_to(alice), alice) == 3
    assert team_revisions(alice)[0][0] == team_a.pk


def test_the_pages_list_counts_once_and_shows_changes(client, alice, team_a, register):
    """The failure-mode page of the UI uses the same cached, exact count."""
    client.force_login(alice)

    def caption(page: int = 1) -> tuple[str, int]:
        with CaptureQueriesContext(connection) as captured:
            html = client.get(f"/failure-modes/?page={page}").content.decode()
        counts = sum("COUNT(*)" in entry["sql"].upper() for entry in captured.captured_queries)
        return html.split('<caption id="fm-caption">')[1].split(" failure mode")[0], counts

    assert caption() == ("3", 1)
    assert caption() == ("3", 0)
    FailureMode.objects.filter(team=team_a).first().delete()
    assert caption() == ("2", 1)


def test_the_count_cache_reads_the_tables_of_the_models():
    """registry.db sits below the models and names their tables itself."""
    assert Membership._meta.db_table == counts.MEMBERSHIPS
    assert TeamRevision._meta.db_table == counts.REVISIONS
