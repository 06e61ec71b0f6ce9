"""Deep pages find their ids first, then read their rows: the same rows, in the same
order, as the plain OFFSET page, whatever the order and the ties."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry import ordering, selectors
from registry.db import paging
from registry.db.paging import RegisterPaginator
from tests.factories import ActionFactory, ApplicationFactory, FailureModeFactory, StepFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/failure-modes/"


@pytest.fixture
def failure_modes(team_a):
    """Nine failure modes with RPN ties, over two steps, some with open actions."""
    steps = [StepFactory(application=ApplicationFactory(team=team_a)) for _ in range(2)]
    rows = []
    for index, severity in enumerate([5, 5, 5, 8, 8, 2, 9, 5, 1]):
        row = FailureModeFactory(step=steps[index % 2], severity=severity)
        if index % 3 == 0:
            ActionFactory(failure_mode=row)
        rows.append(row)
    return rows


@pytest.mark.parametrize(
    "ordering",
    ["-rpn", "rpn", "severity", "-updated_at", "status", "-action_priority", "-actions"],
)
def test_api_deep_pages_hold_the_same_rows_as_offset_pages(
    api, alice, failure_modes, monkeypatch, ordering
):
    client = api.as_user(alice)
    whole = [row["id"] for row in client.get(f"{URL}?ordering={ordering}").json()["results"]]
    monkeypatch.setattr(paging, "DEEP_PAGE_OFFSET", 2)  # every page after the first
    paged = []
    for page in range(1, 6):
        with CaptureQueriesContext(connection) as captured:
            body = client.get(f"{URL}?ordering={ordering}&page_size=2&page={page}").json()
        reads = [
            q["sql"] for q in captured.captured_queries if '"registry_step"."name"' in q["sql"]
        ]
        assert len(reads) == 1
        assert ('"registry_failuremode"."id" IN (SELECT' in reads[0]) == (page > 1)
        paged += [row["id"] for row in body["results"]]
        assert body["count"] == 9
    assert paged == whole


def test_the_browser_lists_deep_pages_keep_an_annotation_order(team_a, failure_modes, monkeypatch):
    """Sorted by open actions (an annotation), the deep page is the OFFSET page."""
    rows, _ = ordering.sorted_rows(selectors.failure_mode_rows(team_a.pk), "-actions", "-rpn")
    offset_pages = [
        [row.pk for row in RegisterPaginator(rows, 4).page(number)] for number in (1, 2, 3)
    ]
    monkeypatch.setattr(paging, "DEEP_PAGE_OFFSET", 4)
    deep_pages = [
        [row.pk for row in RegisterPaginator(rows, 4).page(number)] for number in (1, 2, 3)
    ]
    assert deep_pages == offset_pages
    assert [pk for page in offset_pages for pk in page] == [row.pk for row in rows]
