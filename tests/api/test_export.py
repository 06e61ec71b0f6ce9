"""CSV export of failure modes: the list's filters and scoping, parseable, safe."""

import csv
import io

import pytest
from django.core.management import call_command

from registry.exports import COLUMNS
from registry.models import FailureMode, Team
from tests.factories import ApplicationFactory, FailureModeFactory, StepFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/failure-modes/export.csv"


def read_csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.fixture
def demo(db):
    call_command("seed_demo", verbosity=0)
    return Team.objects.get(slug="demo")


def test_the_demo_export_parses_back_to_the_stored_rows(api, demo):
    """Every failure mode of the team, once, with its ratings, RPN and AP."""
    from django.contrib.auth import get_user_model

    rows = read_csv(api.as_user(get_user_model().objects.get(username="demo")).get(URL))
    stored = {fm.pk: fm for fm in FailureMode.objects.filter(team=demo)}
    assert len(rows) == len(stored) == 10
    assert list(rows[0]) == COLUMNS
    for row in rows:
        failure_mode = stored[int(row["id"])]
        assert row["mode"] == failure_mode.mode
        assert row["application"] == failure_mode.step.application.name
        assert row["step"] == failure_mode.step.name
        assert int(row["tier"]) == failure_mode.step.application.tier.level
        assert int(row["rpn"]) == failure_mode.rpn
        assert row["action_priority"] == failure_mode.action_priority
        assert row["revised_rpn"] == ""
        assert row["component"] == (failure_mode.component.name if failure_mode.component else "")


def test_formula_cells_are_neutralised(api, alice, team_a):
    """A cell starting with =, +, -, @ is prefixed with a quote; others are untouched."""
    step = StepFactory(application=ApplicationFactory(team=team_a, name="=HYPERLINK(1)"))
    FailureModeFactory(step=step, mode="@SUM(A1)", effect="-2+3", cause="+cmd", severity=9)
    FailureModeFactory(step=step, mode="Plain mode", effect="a=b", severity=1)
    rows = read_csv(api.as_user(alice).get(URL))
    by_severity = {row["severity"]: row for row in rows}
    dangerous = by_severity["9"]
    assert dangerous["application"] == "'=HYPERLINK(1)"
    assert (dangerous["mode"], dangerous["effect"], dangerous["cause"]) == (
        "'@SUM(A1)",
        "'-2+3",
        "'+cmd",
    )
    assert (by_severity["1"]["mode"], by_severity["1"]["effect"]) == ("Plain mode", "a=b")


def test_export_applies_the_list_filters_and_team_scope(api, alice, charlie, team_a, team_b):
    step_a = StepFactory(application=ApplicationFactory(team=team_a))
    FailureModeFactory(step=step_a, mode="High", severity=9, probability=8)
    FailureModeFactory(step=step_a, mode="Low", severity=1, probability=1)
    FailureModeFactory(step=StepFactory(application=ApplicationFactory(team=team_b)), mode="B")
    assert [
        row["mode"] for row in read_csv(api.as_user(alice).get(URL + "?action_priority=H"))
    ] == ["High"]
    assert [row["mode"] for row in read_csv(api.as_user(charlie).get(URL))] == ["B"]


def test_export_requires_authentication_and_valid_filters(api, alice):
    assert api.get(URL).status_code == 401
    assert api.as_user(alice).get(URL + "?rpn_min=lots").status_code == 400


def test_export_answers_an_accept_text_csv_request(api, alice):
    response = api.as_user(alice).get(URL, HTTP_ACCEPT="text/csv")
    assert read_csv(response) == []


def test_the_export_reads_its_teams_as_ids_first(alice, charlie, team_a, team_b):
    """Exports filter by the caller's team ids as values, not by a subquery (which
    PostgreSQL would not run in parallel), and see exactly the same rows."""
    for team in (team_a, team_b):
        FailureModeFactory(step=StepFactory(application=ApplicationFactory(team=team)))
    for user in (alice, charlie):
        by_ids = FailureMode.objects.visible_to(user, team_ids_first=True)
        assert "registry_membership" not in str(by_ids.query)
        assert set(by_ids) == set(FailureMode.objects.visible_to(user))
        assert {row.team_id for row in by_ids} == set(
            user.memberships.values_list("team_id", flat=True)
        )
