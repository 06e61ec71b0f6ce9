"""The failure-modes resource: CRUD, team scoping, filters, ETags and bulk create."""

import pytest

from registry.models import FailureMode
from tests.factories import (
    ActionFactory,
    ApplicationFactory,
    ComponentFactory,
    FailureModeFactory,
    StepFactory,
    TierFactory,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/failure-modes/"


@pytest.fixture
def step_a(team_a):
    return StepFactory(application=ApplicationFactory(team=team_a, name="Order processing"))


@pytest.fixture
def step_b(team_b):
    return StepFactory(application=ApplicationFactory(team=team_b))


@pytest.fixture
def failure_mode_a(step_a):
    return FailureModeFactory(step=step_a, mode="Cart table throttles", severity=6)


def payload(step, **overrides):
    return {
        "step": step.pk,
        "mode": "Payment provider outage",
        "effect": "Orders cannot be paid",
        "cause": "Provider incident",
        "failure_category": "single_point_of_failure",
        "severity": 8,
        "probability": 5,
        "detectability": 3,
        **overrides,
    }


def test_an_editor_creates_a_failure_mode_and_gets_rpn_and_ap(api, bob, step_a):
    """POST answers 201 with the database's RPN and AP, the team and the names."""
    response = api.as_user(bob).post(URL, payload(step_a))
    assert response.status_code == 201, response.data
    body = response.json()
    assert (body["rpn"], body["action_priority"]) == (120, "M")
    assert body["team"] == step_a.application.team_id
    assert body["application_name"] == "Order processing"
    assert body["tier_level"] == 1
    assert body["version"] == 1
    stored = FailureMode.objects.get(pk=body["id"])
    assert stored.created_by == bob
    assert stored.history.first().history_user == bob


def test_list_shows_only_the_callers_teams(api, alice, charlie, failure_mode_a, step_b):
    """Alice sees team A's failure mode; Charlie sees only team B's."""
    FailureModeFactory(step=step_b, mode="Team B risk")
    assert [row["mode"] for row in api.as_user(alice).get(URL).json()["results"]] == [
        "Cart table throttles"
    ]
    assert [row["mode"] for row in api.as_user(charlie).get(URL).json()["results"]] == [
        "Team B risk"
    ]


@pytest.mark.parametrize("method", ["get", "patch", "put", "delete"])
def test_another_teams_failure_mode_is_404(api, charlie, failure_mode_a, method):
    """Charlie cannot see or touch team A's failure mode, and it stays as it was."""
    response = getattr(api.as_user(charlie), method)(f"{URL}{failure_mode_a.pk}/", {"severity": 1})
    assert response.status_code == 404
    failure_mode_a.refresh_from_db()
    assert (failure_mode_a.severity, failure_mode_a.version) == (6, 1)


def test_a_viewer_reads_but_cannot_write(api, victor, failure_mode_a, step_a):
    """Victor gets 200 on reads and 403 on every write; nothing changes."""
    client = api.as_user(victor)
    assert client.get(f"{URL}{failure_mode_a.pk}/").status_code == 200
    assert client.patch(f"{URL}{failure_mode_a.pk}/", {"severity": 1}).status_code == 403
    assert client.delete(f"{URL}{failure_mode_a.pk}/").status_code == 403
    assert client.post(URL, payload(step_a)).status_code == 403
    assert FailureMode.objects.count() == 1
    failure_mode_a.refresh_from_db()
    assert failure_mode_a.severity == 6


def test_anonymous_callers_get_401(api, failure_mode_a):
    assert api.get(URL).status_code == 401
    assert api.get(f"{URL}{failure_mode_a.pk}/").status_code == 401


def test_another_teams_step_or_component_in_the_body_is_refused(api, charlie, step_a, step_b):
    """Ids of team A in Charlie's request read as unknown; nothing is written."""
    client = api.as_user(charlie)
    response = client.post(URL, payload(step_a))
    assert response.status_code == 400
    assert "step" in response.json()
    component_a = ComponentFactory(team=step_a.application.team)
    response = client.post(URL, payload(step_b, component=component_a.pk))
    assert response.status_code == 400
    assert "component" in response.json()
    assert not FailureMode.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("severity", 11, "less than or equal to 10"),
        ("probability", 0, "greater than or equal to 1"),
        ("detectability", "high", "valid integer"),
        ("status", "done", "not a valid choice"),
    ],
)
def test_bad_values_get_400_naming_the_field(api, bob, step_a, field, value, message):
    response = api.as_user(bob).post(URL, payload(step_a, **{field: value}))
    assert response.status_code == 400
    assert message in response.json()[field][0]
    assert not FailureMode.objects.exists()


def test_revised_ratings_come_as_a_set(api, bob, failure_mode_a):
    """One revised rating alone is a 400; all three give the residual RPN and AP."""
    client = api.as_user(bob)
    url = f"{URL}{failure_mode_a.pk}/"
    response = client.patch(url, {"revised_severity": 4})
    assert response.status_code == 400
    assert "all three revised ratings" in str(response.json())
    response = client.patch(
        url, {"revised_severity": 4, "revised_probability": 2, "revised_detectability": 2}
    )
    assert response.status_code == 200
    assert (response.json()["revised_rpn"], response.json()["revised_action_priority"]) == (
        16,
        "L",
    )


def test_concurrent_edits_the_second_stale_write_gets_412(api, alice, bob, failure_mode_a):
    """Both read version 1; the first PATCH wins, the second with the old ETag gets 412."""
    url = f"{URL}{failure_mode_a.pk}/"
    etag = api.as_user(alice).get(url)["ETag"]
    assert etag == '"1"'
    first = api.as_user(alice).patch(url, {"severity": 9}, HTTP_IF_MATCH=etag)
    assert first.status_code == 200
    assert first["ETag"] == '"2"'
    second = api.as_user(bob).patch(url, {"probability": 1}, HTTP_IF_MATCH=etag)
    assert second.status_code == 412
    failure_mode_a.refresh_from_db()
    assert (failure_mode_a.severity, failure_mode_a.probability, failure_mode_a.version) == (
        9,
        5,
        2,
    )


def test_a_write_without_if_match_is_accepted(api, bob, failure_mode_a):
    response = api.as_user(bob).patch(f"{URL}{failure_mode_a.pk}/", {"status": "mitigating"})
    assert response.status_code == 200
    assert response.json()["version"] == 2


def test_a_malformed_if_match_is_400(api, bob, failure_mode_a):
    response = api.as_user(bob).patch(
        f"{URL}{failure_mode_a.pk}/", {"severity": 2}, HTTP_IF_MATCH="yesterday"
    )
    assert response.status_code == 400


def test_bulk_create_is_all_or_nothing_and_names_the_bad_item(api, bob, step_a):
    """One bad item in three: 400 naming index 1 and its field; nothing is created."""
    items = [payload(step_a, mode="a"), payload(step_a, severity=0), payload(step_a, mode="c")]
    response = api.as_user(bob).post(URL, items)
    assert response.status_code == 400
    assert set(response.json()) == {"1"}
    assert "severity" in response.json()["1"]
    assert not FailureMode.objects.exists()


def test_bulk_create_creates_every_item(api, bob, step_a):
    items = [payload(step_a, mode=f"mode {n}", severity=n) for n in range(1, 11)]
    response = api.as_user(bob).post(URL, items)
    assert response.status_code == 201
    assert [row["severity"] for row in response.json()] == list(range(1, 11))
    assert FailureMode.objects.filter(team=step_a.application.team).count() == 10


def test_filters_select_by_tier_priority_rpn_and_text(api, alice, team_a):
    tier_1 = StepFactory(application=ApplicationFactory(team=team_a, tier=TierFactory(level=1)))
    tier_3 = StepFactory(application=ApplicationFactory(team=team_a, tier=TierFactory(level=3)))
    FailureModeFactory(step=tier_1, mode="Region outage", severity=9, probability=6)  # H, 270
    FailureModeFactory(step=tier_3, mode="Disk fills up", severity=2, probability=2)  # L, 20
    client = api.as_user(alice)

    def modes(query):
        return [row["mode"] for row in client.get(URL + query).json()["results"]]

    assert modes("?tier=1") == ["Region outage"]
    assert modes("?action_priority=L") == ["Disk fills up"]
    assert modes("?rpn_min=100") == ["Region outage"]
    assert modes("?rpn_max=100") == ["Disk fills up"]
    assert modes("?q=disk") == ["Disk fills up"]
    assert modes("?ordering=rpn") == ["Disk fills up", "Region outage"]
    assert modes("?ordering=-rpn") == ["Region outage", "Disk fills up"]
    assert client.get(URL + "?action_priority=X").status_code == 400


@pytest.mark.parametrize("page_size", [10, 500])
def test_list_runs_a_fixed_number_of_queries(
    api, alice, step_a, page_size, django_assert_max_num_queries
):
    for n in range(40):
        FailureModeFactory(step=step_a, component=ComponentFactory(team=step_a.application.team))
        if n % 4 == 0:
            ActionFactory(failure_mode=FailureMode.objects.latest("id"))
    client = api.as_user(alice)
    with django_assert_max_num_queries(4):
        response = client.get(f"{URL}?page_size={page_size}")
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(page_size, 40)


@pytest.mark.parametrize("page_size", ["5000", "0", "ten"])
def test_page_size_outside_1_to_1000_is_400(api, alice, failure_mode_a, page_size):
    response = api.as_user(alice).get(f"{URL}?page_size={page_size}")
    assert response.status_code == 400
    assert response.json() == {"page_size": ["Give a whole number from 1 to 1000."]}


def test_wrong_method_and_content_type(api, bob, failure_mode_a):
    client = api.as_user(bob)
    response = client.post(f"{URL}{failure_mode_a.pk}/", {})
    assert response.status_code == 405
    response = client.generic("POST", URL, "mode=x", content_type="text/plain")
    assert response.status_code == 415


def test_delete_by_an_editor(api, bob, failure_mode_a):
    assert api.as_user(bob).delete(f"{URL}{failure_mode_a.pk}/").status_code == 204
    assert not FailureMode.objects.exists()


def test_text_search_is_served_by_the_trigram_indexes(postgres, alice, step_a):
    """On PostgreSQL `?q=` must not read every failure mode of the team: the indexes'
    expressions have to match the SQL Django writes for `icontains`."""
    from django.db import connection

    from registry.filtersets import FailureModeFilterSet

    FailureModeFactory(step=step_a, mode="Cache stampede")
    filterset = FailureModeFilterSet({"q": "stampede"}, queryset=FailureMode.objects.all())
    queryset = filterset.qs
    assert [fm.mode for fm in queryset] == ["Cache stampede"]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    for column in ("mode", "effect", "cause"):
        assert f"registry_fm_{column}_trgm" in plan


def test_the_lists_count_reads_the_failure_modes_alone(api, alice, failure_mode_a):
    """The page reads names from steps, applications and tiers; its count joins none
    of them (a join would pass every failure mode of the team through it)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = api.as_user(alice).get(f"{URL}?ordering=-rpn")
    assert response.json()["count"] == 1
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1
    assert "JOIN" not in counts[0].upper()
    page = [q["sql"] for q in captured.captured_queries if '"registry_step"."name"' in q["sql"]]
    assert len(page) == 1 and "JOIN" in page[0].upper()


@pytest.mark.parametrize("ordering", ["revised_rpn", "-revised_rpn"])
def test_ordering_by_revised_rpn_puts_the_unrevised_last(api, alice, step_a, ordering):
    """The revised RPN is empty until revised ratings are given: such rows come last
    in either direction, on every database."""
    FailureModeFactory(step=step_a, mode="Not revised")
    for mode, severity in (("Revised low", 2), ("Revised high", 8)):
        FailureModeFactory(
            step=step_a,
            mode=mode,
            revised_severity=severity,
            revised_probability=2,
            revised_detectability=2,
        )
    rows = api.as_user(alice).get(f"{URL}?ordering={ordering}").json()["results"]
    expected = ["Revised low", "Revised high"]
    if ordering.startswith("-"):
        expected.reverse()
    assert [row["mode"] for row in rows] == [*expected, "Not revised"]


def test_only_columns_that_can_be_empty_are_sorted_with_nulls_last():
    from registry.models.base import may_be_empty

    field = FailureMode._meta.get_field
    assert not may_be_empty(field("rpn")) and not may_be_empty(field("severity"))
    assert may_be_empty(field("revised_rpn")) and may_be_empty(field("revised_severity"))


def test_a_second_failure_mode_with_the_same_step_component_and_mode_is_400(
    api, bob, failure_mode_a
):
    """Creating or renaming into a duplicate answers 400 on `mode`, in the model's words."""
    message = "This step already has this failure mode for the same component (ignoring case)"
    client = api.as_user(bob)
    response = client.post(URL, payload(failure_mode_a.step, mode="cart TABLE throttles"))
    assert response.status_code == 400
    assert response.json()["mode"][0].startswith(message)
    other = FailureModeFactory(step=failure_mode_a.step, mode="Cart table slow")
    response = client.patch(f"{URL}{other.pk}/", {"mode": "Cart table throttles"})
    assert response.status_code == 400
    assert response.json()["mode"][0].startswith(message)
    items = [payload(failure_mode_a.step, mode="x"), payload(failure_mode_a.step, mode="X")]
    response = client.post(URL, items)
    assert response.status_code == 400
    assert FailureMode.objects.filter(step=failure_mode_a.step).count() == 2
