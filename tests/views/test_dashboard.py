"""The dashboard: tier cards, heat map, Pareto chart, findings and overdue actions."""

import datetime

import pytest

from tests.factories import ActionFactory, FailureModeFactory

pytestmark = pytest.mark.django_db


def test_it_shows_a_card_per_tier_with_its_figures(as_victor, register):
    FailureModeFactory(step=register.step, severity=10, probability=3, detectability=8)
    ActionFactory(
        failure_mode=register.fm, due_date=datetime.date(2000, 1, 1), description="Long overdue"
    )
    html = as_victor.get("/").content.decode()
    for text in (
        "Tier 1 - mission critical",
        "Tier 4 - administrative",
        "RTO 2 h",
        "act above RPN 100",
        "Over threshold",
        "AP High",
        "Overdue actions",
        "Long overdue",
    ):
        assert text in html, text
    assert "<dt>Failure modes</dt><dd>2</dd>" in html
    assert "<dt>Max RPN</dt><dd>240</dd>" in html
    assert "<dt>Mean RPN</dt><dd>148</dd>" in html


def test_the_heat_map_links_each_cell_to_the_filtered_list(as_victor, register):
    html = as_victor.get("/").content.decode()
    assert 'href="/failure-modes/?severity=7&amp;probability=4"' in html
    assert "Severity 7, probability 4: 1 failure mode" in html


def test_the_pareto_chart_ranks_by_rpn_with_the_cumulative_share(as_victor, register):
    FailureModeFactory(
        step=register.step, mode="Top risk", severity=10, probability=10, detectability=4
    )
    html = as_victor.get("/").content.decode()
    assert "Pareto chart of the top 2 failure modes by RPN" in html
    assert "1. Top risk (Order processing / Pay): RPN 400, cumulative share 88%" in html


def test_findings_show_an_empty_state(as_victor, register):
    assert b"No findings to show" in as_victor.get("/").content


def test_a_team_sees_only_its_own_figures(as_charlie, register):
    html = as_charlie.get("/").content.decode()
    assert "Primary database fails" not in html and "Secret B failure" in html


def test_an_empty_register_says_where_to_start(as_charlie, team_b, reference):
    html = as_charlie.get("/").content.decode()
    assert "No failure modes yet" in html and "<svg" not in html


def test_the_dashboard_makes_a_fixed_number_of_queries(
    as_alice, register, fixed_queries, more_failure_modes
):
    def grow():
        more_failure_modes()
        for failure_mode in register.step.failure_modes.all()[:29]:
            ActionFactory(failure_mode=failure_mode, due_date=datetime.date(2000, 1, 1))

    assert fixed_queries(as_alice, "/", grow) <= 10


def make_finding(team, key, severity, message, **links):
    from django.utils import timezone

    from registry.models import Finding

    now = timezone.now()
    return Finding.objects.create(
        team=team,
        key=key,
        kind="dr_strategy_gap",
        severity=severity,
        message=message,
        first_seen_at=now,
        computed_at=now,
        **links,
    )


def test_findings_are_listed_most_severe_first_for_the_team_only(
    as_victor, register, team_a, team_b
):
    make_finding(team_a, "a", "low", "A minor gap", application=register.app)
    make_finding(team_a, "b", "critical", "Warm standby cannot meet the RPO", step=register.step)
    make_finding(team_b, "c", "high", "Secret B finding")
    html = as_victor.get("/").content.decode()
    assert html.index("Warm standby cannot meet the RPO") < html.index("A minor gap")
    assert "DR strategy cannot meet the objectives" in html and "step 1. Pay" in html
    assert "Secret B finding" not in html and "No findings to show" not in html
    detail = as_victor.get(f"/applications/{register.app.pk}/").content.decode()
    assert "A minor gap" in detail and "Warm standby cannot meet the RPO" not in detail
