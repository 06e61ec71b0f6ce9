"""One ordering vocabulary: every sort key orders the API's `?ordering=` and the
browser's `?sort=` alike, with action priority and status by rank, empty values last
either way, and the id breaking ties."""

import datetime
import re

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from registry.models import Action
from registry.ordering import ACTION_SORTS, FAILURE_MODE_SORTS
from registry.reports.data import worksheet_rows
from registry.views.failure_modes import LIST_COLUMNS
from registry.views.worksheet import COLUMNS as WORKSHEET_COLUMNS
from tests.factories import (
    ActionFactory,
    ApplicationFactory,
    ComponentFactory,
    FailureModeFactory,
    StepFactory,
    TierFactory,
    UserFactory,
)
from tests.views.conftest import logged_in

pytestmark = pytest.mark.django_db
API_URL = "/api/v1/failure-modes/"
LIST_ROW = re.compile(r'<th scope="row" class="text"><a href="/failure-modes/(\d+)/">')
WORKSHEET_ROW = re.compile(r'<tr id="fm-(\d+)"')


def finished(failure_mode, status: str, **fields):
    return ActionFactory(
        failure_mode=failure_mode, status=status, completed_at=timezone.now(), **fields
    )


@pytest.fixture
def rows(team_a, team_b):
    """Six failure modes of team A over two steps, created in this order (ids rise):

    | mode           | step    | tier | component | S P D    | RPN | AP | status     |
    |----------------|---------|------|-----------|----------|-----|----|------------|
    | Cache stampede | Pay     | 1    | Cache     | 8 5 3    | 120 | M  | open       |
    | Disk full      | Invoice | 3    | Database  | 2 2 2    |   8 | L  | closed     |
    | Region outage  | Pay     | 1    | —         | 10 6 4   | 240 | H  | mitigating |
    | Bad deploy     | Invoice | 3    | —         | 5 5 5    | 125 | L  | accepted   |
    | Cert expiry    | Pay     | 1    | Cache     | 7 4 2    |  56 | M  | open       |
    | Slow query     | Invoice | 3    | Database  | 10 6 4   | 240 | H  | closed     |

    Disk full has no effect and Region outage no cause (blank text); only Disk full
    (1 1 1: L) and Bad deploy (3 3 3: L) are re-rated; Cache stampede has two open
    actions, Slow query one in progress, Bad deploy one done.
    """
    pay = StepFactory(
        name="Pay",
        application=ApplicationFactory(team=team_a, name="Checkout", tier=TierFactory(level=1)),
    )
    invoice = StepFactory(
        name="Invoice",
        application=ApplicationFactory(team=team_a, name="Billing", tier=TierFactory(level=3)),
    )
    cache = ComponentFactory(team=team_a, name="Cache")
    database = ComponentFactory(team=team_a, name="Database")
    made = {}
    for mode, step, component, ratings, extra in [
        ("Cache stampede", pay, cache, (8, 5, 3), {}),
        ("Disk full", invoice, database, (2, 2, 2), {"status": "closed", "effect": ""}),
        ("Region outage", pay, None, (10, 6, 4), {"status": "mitigating", "cause": ""}),
        ("Bad deploy", invoice, None, (5, 5, 5), {"status": "accepted"}),
        ("Cert expiry", pay, cache, (7, 4, 2), {}),
        ("Slow query", invoice, database, (10, 6, 4), {"status": "closed"}),
    ]:
        severity, probability, detectability = ratings
        made[mode] = FailureModeFactory(
            step=step,
            component=component,
            mode=mode,
            severity=severity,
            probability=probability,
            detectability=detectability,
            **extra,
        )
    for mode, revised in (("Disk full", 1), ("Bad deploy", 3)):
        made[mode].revised_severity = made[mode].revised_probability = revised
        made[mode].revised_detectability = revised
        made[mode].save()
    ActionFactory.create_batch(2, failure_mode=made["Cache stampede"], status="open")
    ActionFactory(failure_mode=made["Slow query"], status="in_progress")
    finished(made["Bad deploy"], "done")
    FailureModeFactory(step=StepFactory(application=ApplicationFactory(team=team_b)))
    return made


@pytest.fixture
def api(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


@pytest.fixture
def browser(alice):
    return logged_in(alice)


def api_modes(api, rows, ordering: str, **filters) -> list[str]:
    body = api.get(API_URL, {"ordering": ordering, "page_size": 100, **filters}).json()
    by_id = {row.pk: mode for mode, row in rows.items()}
    return [by_id[row["id"]] for row in body["results"]]


def page_modes(html: str, pattern: re.Pattern, rows) -> list[str]:
    by_id = {row.pk: mode for mode, row in rows.items()}
    return [by_id[int(pk)] for pk in pattern.findall(html)]


@pytest.mark.parametrize("key", sorted(FAILURE_MODE_SORTS))
def test_every_sort_key_orders_the_api_and_the_browser_alike(api, browser, rows, key):
    pay = rows["Cache stampede"].step_id
    for sort in (key, f"-{key}"):
        from_api = api_modes(api, rows, sort)
        assert sorted(from_api) == sorted(rows), sort
        listed = browser.get("/failure-modes/", {"sort": sort}).content.decode()
        assert page_modes(listed, LIST_ROW, rows) == from_api, sort
        worksheet = browser.get(f"/steps/{pay}/", {"sort": sort}).content.decode()
        assert page_modes(worksheet, WORKSHEET_ROW, rows) == api_modes(api, rows, sort, step=pay)


@pytest.mark.parametrize(
    ("keys", "ascending", "descending"),
    [
        (
            ["action_priority", "ap"],
            [
                "Disk full",
                "Bad deploy",
                "Cache stampede",
                "Cert expiry",
                "Region outage",
                "Slow query",
            ],
            [
                "Region outage",
                "Slow query",
                "Cache stampede",
                "Cert expiry",
                "Disk full",
                "Bad deploy",
            ],
        ),
        (
            ["status"],
            [
                "Cache stampede",
                "Cert expiry",
                "Region outage",
                "Bad deploy",
                "Disk full",
                "Slow query",
            ],
            [
                "Disk full",
                "Slow query",
                "Bad deploy",
                "Region outage",
                "Cache stampede",
                "Cert expiry",
            ],
        ),
        (
            ["revised_action_priority", "revised_ap"],
            [
                "Disk full",
                "Bad deploy",
                "Cache stampede",
                "Region outage",
                "Cert expiry",
                "Slow query",
            ],
            [
                "Disk full",
                "Bad deploy",
                "Cache stampede",
                "Region outage",
                "Cert expiry",
                "Slow query",
            ],
        ),
        (
            ["revised_rpn"],
            [
                "Disk full",
                "Bad deploy",
                "Cache stampede",
                "Region outage",
                "Cert expiry",
                "Slow query",
            ],
            [
                "Bad deploy",
                "Disk full",
                "Cache stampede",
                "Region outage",
                "Cert expiry",
                "Slow query",
            ],
        ),
        (
            ["rpn"],
            [
                "Disk full",
                "Cert expiry",
                "Cache stampede",
                "Bad deploy",
                "Region outage",
                "Slow query",
            ],
            [
                "Region outage",
                "Slow query",
                "Bad deploy",
                "Cache stampede",
                "Cert expiry",
                "Disk full",
            ],
        ),
        (
            ["effect"],
            [
                "Cache stampede",
                "Region outage",
                "Bad deploy",
                "Cert expiry",
                "Slow query",
                "Disk full",
            ],
            [
                "Cache stampede",
                "Region outage",
                "Bad deploy",
                "Cert expiry",
                "Slow query",
                "Disk full",
            ],
        ),
        (
            ["component", "component_name"],
            [
                "Cache stampede",
                "Cert expiry",
                "Disk full",
                "Slow query",
                "Region outage",
                "Bad deploy",
            ],
            [
                "Disk full",
                "Slow query",
                "Cache stampede",
                "Cert expiry",
                "Region outage",
                "Bad deploy",
            ],
        ),
        (
            ["actions"],
            [
                "Disk full",
                "Region outage",
                "Bad deploy",
                "Cert expiry",
                "Slow query",
                "Cache stampede",
            ],
            [
                "Cache stampede",
                "Slow query",
                "Disk full",
                "Region outage",
                "Bad deploy",
                "Cert expiry",
            ],
        ),
    ],
)
def test_ranks_and_empty_values_order_as_a_user_expects(
    api, browser, rows, keys, ascending, descending
):
    """Action priority L < M < H and status in lifecycle order (open, mitigating,
    accepted, closed), not alphabetically; no revised rating, no effect or no component
    last in both directions; ties by creation."""
    for key in keys:
        assert api_modes(api, rows, key) == ascending, key
        assert api_modes(api, rows, f"-{key}") == descending, key
        listed = browser.get("/failure-modes/", {"sort": f"-{key}"}).content.decode()
        assert page_modes(listed, LIST_ROW, rows) == descending, key


def test_every_column_heading_sorts_by_a_key_of_the_vocabulary():
    headings = [column[0] for column in LIST_COLUMNS + WORKSHEET_COLUMNS]
    assert set(headings) <= set(FAILURE_MODE_SORTS)


def test_the_apis_ordering_names_are_kept():
    kept = {"rpn", "action_priority", "severity", "probability", "detectability"}
    kept |= {"revised_rpn", "status", "created_at", "updated_at", "id"}
    assert kept <= set(FAILURE_MODE_SORTS)
    assert {"due_date", "status", "created_at", "updated_at", "id"} == set(ACTION_SORTS)


def test_actions_sort_by_status_in_lifecycle_order(api, browser, rows):
    """Open, in progress, done, cancelled: in the API and on the failure mode's page."""
    failure_mode = rows["Region outage"]
    for description, status in [
        ("Cancelled one", "cancelled"),
        ("Done one", "done"),
        ("Open one", "open"),
        ("Started one", "in_progress"),
    ]:
        if status in ("done", "cancelled"):
            finished(failure_mode, status, description=description)
        else:
            ActionFactory(failure_mode=failure_mode, description=description, status=status)
    body = api.get(
        "/api/v1/actions/", {"failure_mode": failure_mode.pk, "ordering": "status"}
    ).json()
    lifecycle = ["Open one", "Started one", "Done one", "Cancelled one"]
    assert [row["description"] for row in body["results"]] == lifecycle
    body = api.get(
        "/api/v1/actions/", {"failure_mode": failure_mode.pk, "ordering": "-status"}
    ).json()
    assert [row["description"] for row in body["results"]] == lifecycle[::-1]
    page = browser.get(f"/failure-modes/{failure_mode.pk}/").content.decode()
    assert [page.index(text) for text in lifecycle] == sorted(page.index(t) for t in lifecycle)


@pytest.mark.parametrize(
    ("column", "rank"),
    [
        ("ap", lambda row: ["L", "M", "H"].index(row.action_priority)),
        (
            "status_in_order",
            lambda row: ["open", "mitigating", "accepted", "closed"].index(row.status),
        ),
    ],
    ids=["ap", "status"],
)
def test_the_admin_sorts_priority_and_status_by_rank(rows, column, rank):
    """The admin's AP and status columns rank like the API and the browser lists, not
    alphabetically (the admin's `o` parameter is the column's position, from 1)."""
    from django.contrib.admin import site

    from registry.models import FailureMode

    admin = logged_in(UserFactory(username="root", is_superuser=True, is_staff=True))
    position = site._registry[FailureMode].list_display.index(column) + 1
    link = re.compile(r'<a href="/admin/registry/failuremode/(\d+)/change/')
    by_id = {row.pk: row for row in rows.values()}
    for sign in ("", "-"):
        page = admin.get("/admin/registry/failuremode/", {"o": f"{sign}{position}"})
        listed = [by_id[int(pk)] for pk in link.findall(page.content.decode()) if int(pk) in by_id]
        assert len(listed) == len(rows)
        ranks = [rank(row) for row in listed]
        assert ranks == sorted(ranks, reverse=bool(sign)), sign


def test_actions_without_a_due_date_come_last_by_default_everywhere(api, rows):
    """The default order of actions (API list, report rows, the model's own): by due
    date, undated last, on PostgreSQL and SQLite alike (they put NULL at opposite ends)."""
    failure_mode = rows["Region outage"]
    for description, due in [
        ("Undated", None),
        ("Later", datetime.date(2031, 3, 1)),
        ("Sooner", datetime.date(2031, 1, 1)),
    ]:
        ActionFactory(failure_mode=failure_mode, description=description, due_date=due)
    expected = ["Sooner", "Later", "Undated"]
    body = api.get("/api/v1/actions/", {"failure_mode": failure_mode.pk}).json()
    assert [row["description"] for row in body["results"]] == expected
    (row,) = worksheet_rows(type(failure_mode).objects.filter(pk=failure_mode.pk))
    assert [action["description"] for action in row["actions"]] == expected
    assert (
        list(
            Action.objects.filter(failure_mode=failure_mode).values_list("description", flat=True)
        )
        == expected
    )
