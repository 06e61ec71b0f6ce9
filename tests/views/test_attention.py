"""The worksheets needing attention (where the dashboard's button leads), and the
dashboard's heat map switching between rating pairs."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registry.analysis import figures
from tests.rollups import hand_built

pytestmark = pytest.mark.django_db


@pytest.fixture
def register(team_a, team_b):
    return hand_built.build(team_a, team_b)


def rows(page: str) -> list[list[str]]:
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_it_lists_the_steps_with_work_waiting_most_urgent_first(as_victor, register):
    """Pay: "Card declined" (H, 180 > 100, open), two overdue open actions, never
    reviewed. Export: nothing open over 200 and no actions, but never reviewed."""
    page = as_victor.get("/steps/attention/").content.decode()
    assert rows(page) == [
        ["1. Pay", "1", "1", "2", "due never reviewed", "Payments Tier 1 - mission critical"],
        [
            "1. Export",
            "0",
            "0",
            "0",
            "due never reviewed",
            "Reporting Tier 3 - business operational",
        ],
    ]
    assert "Secret B" not in page


def test_a_step_reviewed_within_its_interval_with_nothing_open_is_not_listed(register):
    register.export.last_reviewed_at = timezone.now()
    register.export.save()
    steps = list(figures.steps_needing_attention(register.team.pk))
    assert [step.name for step in steps] == ["Pay"]


def test_the_list_takes_a_fixed_number_of_queries(as_victor, register):
    with CaptureQueriesContext(connection) as few:
        as_victor.get("/steps/attention/")
    for index in range(5):
        hand_built.StepFactory(application=register.payments, order=10 + index, name=f"S{index}")
    with CaptureQueriesContext(connection) as more:
        assert "S4" in as_victor.get("/steps/attention/").content.decode()
    assert len(more) == len(few)


def test_the_dashboard_button_leads_to_the_worksheets_needing_attention(as_victor, register):
    page = as_victor.get("/").content.decode()
    assert 'href="/steps/attention/">Worksheets needing attention</a>' in page


@pytest.mark.parametrize(
    ("heat", "title", "link"),
    [
        ("sp", "Severity × probability", "?severity=9&amp;probability=5"),
        ("sd", "Severity × detectability", "?severity=9&amp;detectability=4"),
        ("pd", "Probability × detectability", "?probability=5&amp;detectability=4"),
    ],
)
def test_the_heat_map_switches_between_rating_pairs(as_victor, register, heat, title, link):
    """ "Card declined" is 9 × 5 × 4: its cell links to the list filtered on that pair."""
    page = as_victor.get(f"/?heat={heat}").content.decode()
    assert f'<h2 id="heat-heading">{title}</h2>' in page
    assert f'href="/failure-modes/{link}"' in page
    assert f'href="?heat={heat}" aria-current="true"' in page


def test_the_failure_mode_list_filters_on_detectability(as_victor, register):
    page = as_victor.get("/failure-modes/?probability=5&detectability=4").content.decode()
    assert "Card declined" in page and "Export empty" not in page
