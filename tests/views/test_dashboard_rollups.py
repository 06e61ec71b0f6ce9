"""The dashboard's tier cards are the stored tier rollups: their figures, when they
were computed, and a "recomputing" state while a change waits for its recompute."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry.analysis import recompute, rollups
from registry.models import TeamRecompute, TierRollup
from tests.factories import FailureModeFactory
from tests.rollups import hand_built

pytestmark = pytest.mark.django_db

#: Card label → the RiskFigures field it shows.
CARD = {
    "Failure modes": "failure_mode_count",
    "Open or mitigating": "open_count",
    "Max RPN": "rpn_max",
    "Mean RPN": "rpn_mean",
    "Over threshold": "over_threshold_count",
    "AP High": "ap_high_count",
    "Current AP High": "current_ap_high_count",
    "Accepted AP High": "accepted_ap_high_count",
    "Overdue actions": "overdue_action_count",
}


@pytest.fixture
def register(team_a, team_b):
    return hand_built.build(team_a, team_b)


def cards(page: str) -> dict[int, dict[str, str]]:
    """{tier level: {label: text shown}} of the page's tier cards."""
    result = {}
    for level, body in re.findall(
        r'<article class="card tier-card" aria-labelledby="tier-(\d)">(.*?)</article>', page, re.S
    ):
        pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", body, re.S)
        result[int(level)] = {dt: re.sub(r"<[^>]+>", "", dd).strip() for dt, dd in pairs}
    return result


def shown(rollup: TierRollup, field: str) -> str:
    value = getattr(rollup, field)
    if value is None:
        return "—"
    return str(round(value)) if field == "rpn_mean" else str(value)


def test_the_tier_cards_show_the_stored_rollups(as_victor, register):
    """Figures worked out by hand (tests/rollups/hand_built.py), and the same as the
    stored TierRollup rows, card by card."""
    rollups.recompute_team(register.team.pk)
    page = as_victor.get("/").content.decode()
    assert cards(page)[1] == {
        "Failure modes": "3",
        "Open or mitigating": "2",
        "Max RPN": "240",
        "Mean RPN": "159",  # 476 / 3
        "Over threshold": "2",
        "AP High": "2",
        "Current AP High": "2",  # none re-rated: the initial AP
        "Accepted AP High": "0",
        "Overdue actions": "2",
    }
    assert cards(page)[3] == {
        "Failure modes": "2",
        "Open or mitigating": "1",
        "Max RPN": "126",
        "Mean RPN": "126",  # 125.5, rounded half up
        "Over threshold": "0",
        "AP High": "0",
        "Current AP High": "0",
        "Accepted AP High": "0",  # "Export late" (3/6/7) is accepted at AP Low
        "Overdue actions": "0",
    }
    assert cards(page)[2]["Failure modes"] == "0" and cards(page)[2]["Max RPN"] == "—"
    for rollup in TierRollup.objects.filter(team=register.team).select_related("tier"):
        assert cards(page)[rollup.tier.level] == {
            label: shown(rollup, field) for label, field in CARD.items()
        }
    assert "5 failure modes across 4 tiers" in page


def test_the_cards_say_when_the_figures_were_computed(as_victor, register):
    rollups.recompute_team(register.team.pk)
    computed_at = TierRollup.objects.filter(team=register.team).first().computed_at
    TierRollup.objects.filter(team=register.team).update(
        computed_at=computed_at.replace(hour=17, minute=2)
    )
    page = as_victor.get("/").content.decode()
    assert "Figures as of" in page and ">17:02</time>" in page
    assert "Recomputing" not in page


def test_a_day_old_rollup_gives_its_date(as_victor, register):
    rollups.recompute_team(register.team.pk)
    TierRollup.objects.filter(team=register.team).update(
        computed_at=datetime.datetime(2026, 1, 5, 6, 30, tzinfo=datetime.UTC)
    )
    page = as_victor.get("/").content.decode()
    assert ">06:30 on 2026-01-05</time>" in page


def test_the_cards_show_recomputing_while_a_change_waits(as_victor, register):
    """A change marks the team dirty: the cards keep the stored figures and say a
    recompute is under way; after it, the new figures show."""
    rollups.recompute_team(register.team.pk)
    FailureModeFactory(step=register.pay, severity=10, probability=10, detectability=10)
    # What the change's own transaction does when it commits (this test's transaction
    # has marked the team once already, before the recompute cleared it).
    recompute.mark_dirty({register.team.pk})
    page = as_victor.get("/").content.decode()
    assert "Recomputing…" in page
    assert cards(page)[1]["Failure modes"] == "3" and cards(page)[1]["Max RPN"] == "240"
    rollups.recompute_team(register.team.pk)
    page = as_victor.get("/").content.decode()
    assert "Recomputing…" not in page
    assert cards(page)[1]["Failure modes"] == "4" and cards(page)[1]["Max RPN"] == "1000"


def test_a_team_never_computed_gets_its_figures_computed_for_the_page(as_victor, register):
    """No rollup yet (the first recompute has not run): the same figures, computed for
    the page, and the page says so."""
    TierRollup.objects.filter(team=register.team).delete()
    TeamRecompute.objects.filter(team=register.team).update(dirty=False, computed_at=None)
    page = as_victor.get("/").content.decode()
    assert "the team's rollup has not been computed yet" in page
    assert cards(page)[1]["Failure modes"] == "3" and cards(page)[1]["Overdue actions"] == "2"
    assert cards(page)[3]["Mean RPN"] == "126"


def test_the_dashboard_reads_the_rollups_in_a_fixed_number_of_queries(as_victor, register):
    """As many queries with 25 more failure modes (recomputed) as before; the tier cards
    cost one query (tiers joined to the team's rollups)."""
    rollups.recompute_team(register.team.pk)
    with CaptureQueriesContext(connection) as before:
        assert as_victor.get("/").status_code == 200
    for index in range(25):
        FailureModeFactory(step=register.export, severity=1 + index % 10)
    rollups.recompute_team(register.team.pk)
    with CaptureQueriesContext(connection) as after:
        assert as_victor.get("/").status_code == 200
    assert len(after) == len(before) <= 9
    tier_queries = [q["sql"] for q in after.captured_queries if "registry_tierrollup" in q["sql"]]
    assert len(tier_queries) == 1
    assert not any(
        "registry_action" in q["sql"] and "GROUP BY" in q["sql"] for q in after.captured_queries
    )


def test_another_teams_rollups_never_show(as_charlie, register):
    """Team B's cards count its one failure mode only, never team A's rollups."""
    rollups.recompute_team(register.team.pk)
    page = as_charlie.get("/").content.decode()
    assert cards(page)[1]["Failure modes"] == "1" and cards(page)[1]["Max RPN"] == "1000"
    assert cards(page)[3]["Failure modes"] == "0"
