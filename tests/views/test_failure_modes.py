"""Failure modes: the list with the API's filters, the CSV export of the same selection,
the detail page (actions, history, RPN chart), the full edit form, delete, sign-off."""

import csv
import io

import pytest

from registry.models import FailureMode
from tests.factories import ActionFactory, FailureModeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def spread(register):
    """Three more failure modes of team A with different ratings and statuses."""
    return [
        FailureModeFactory(
            step=register.step, mode="Hot shard", severity=8, probability=5, detectability=3
        ),
        FailureModeFactory(
            step=register.step,
            mode="Cert expiry",
            severity=8,
            probability=3,
            detectability=3,
            status="closed",
        ),
        FailureModeFactory(
            step=register.step, mode="Bad deploy", severity=10, probability=6, detectability=4
        ),
    ]


def test_the_list_shows_the_teams_failure_modes_only(as_victor, register, spread):
    html = as_victor.get("/failure-modes/").content.decode()
    assert "Primary database fails" in html and "Hot shard" in html
    assert "Secret B failure" not in html
    assert html.index("Bad deploy") < html.index("Hot shard")  # highest RPN first


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ({"severity": "8", "probability": "5"}, ["Hot shard"], ["Cert expiry", "Bad deploy"]),
        ({"status": ["closed"]}, ["Cert expiry"], ["Hot shard"]),
        ({"action_priority": ["H"]}, ["Bad deploy"], ["Hot shard"]),
        ({"rpn_min": "100", "rpn_max": "150"}, ["Hot shard"], ["Bad deploy", "Cert expiry"]),
        ({"q": "shard"}, ["Hot shard"], ["Bad deploy"]),
        ({"tier": "1"}, ["Hot shard", "Bad deploy"], []),
        ({"tier": "2"}, [], ["Hot shard"]),
    ],
)
def test_the_list_filters_like_the_api(as_victor, register, spread, query, shown, hidden):
    html = as_victor.get("/failure-modes/", query).content.decode()
    for mode in shown:
        assert mode in html, mode
    for mode in hidden:
        assert mode not in html, mode


def test_a_bad_filter_value_is_shown_not_ignored_silently(as_victor, register):
    response = as_victor.get("/failure-modes/", {"rpn_min": "lots"})
    assert response.status_code == 200
    assert b"not understood" in response.content


def test_the_csv_link_exports_the_same_selection(as_victor, register, spread):
    html = as_victor.get("/failure-modes/", {"severity": "8", "probability": "5"}).content
    assert b'href="/failure-modes/export.csv?severity=8&amp;probability=5"' in html
    response = as_victor.get("/failure-modes/export.csv", {"severity": "8", "probability": "5"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["mode"] for row in rows] == ["Hot shard"]


def test_the_export_holds_the_current_team_only(as_victor, register):
    response = as_victor.get("/failure-modes/export.csv")
    body = b"".join(response.streaming_content).decode()
    assert "Primary database fails" in body and "Secret B failure" not in body


def test_the_list_pages_and_keeps_a_fixed_number_of_queries(
    as_victor, register, fixed_queries, more_failure_modes
):
    assert fixed_queries(as_victor, "/failure-modes/", more_failure_modes) <= 10


def test_the_empty_list_says_where_to_start(as_charlie, team_b):
    html = as_charlie.get("/failure-modes/").content.decode()
    assert "No failure modes yet" in html


# --- detail --------------------------------------------------------------------------


def test_the_detail_page_shows_every_field_actions_and_history(as_victor, register, alice):
    fm = register.fm
    ActionFactory(failure_mode=fm, description="Add a standby", owner="carol")
    fm.severity = 9
    fm._history_user = alice
    fm.save()
    html = as_victor.get(f"/failure-modes/{fm.pk}/").content.decode()
    for text in (
        "Primary database fails",
        "Users cannot complete the step",
        "A component fails",
        "Add a standby",
        "carol",
        "RPN over time",
        "<svg",
    ):
        assert text in html, text
    assert "<strong>alice</strong> changed it" in html
    assert "Severity: <del>7</del> → <ins>9</ins>" in html
    assert "Add an action" not in html  # viewer


def test_the_detail_page_of_another_team_is_not_found(as_alice, register):
    assert as_alice.get(f"/failure-modes/{register.b_fm.pk}/").status_code == 404


def test_the_detail_page_makes_a_fixed_number_of_queries(as_alice, register, fixed_queries):
    fm = register.fm

    def grow():
        for index in range(29):
            ActionFactory(failure_mode=fm)
            fm.probability = 1 + index % 10
            fm.save()

    assert fixed_queries(as_alice, f"/failure-modes/{fm.pk}/", grow) <= 14


def test_the_full_edit_form_saves_and_refuses_stale_versions(as_bob, register):
    fm = register.fm
    data = {
        "version": fm.version,
        "mode": "Primary database fails",
        "component": "",
        "failure_category": "single_point_of_failure",
        "effect": "e",
        "cause": "c",
        "prevention_controls": "",
        "detection_controls": "",
        "severity": "8",
        "probability": "5",
        "detectability": "3",
        "status": "mitigating",
        "revised_severity": "8",
        "revised_probability": "2",
        "revised_detectability": "",
    }
    response = as_bob.post(f"/failure-modes/{fm.pk}/edit/", data)
    assert response.status_code == 422
    assert b"Give all three revised ratings, or none." in response.content
    data["revised_detectability"] = "2"
    response = as_bob.post(f"/failure-modes/{fm.pk}/edit/", data)
    assert response.status_code == 302
    fm.refresh_from_db()
    assert (fm.rpn, fm.revised_rpn, fm.status) == (120, 32, "mitigating")
    response = as_bob.post(f"/failure-modes/{fm.pk}/edit/", {**data, "severity": "2"})
    assert response.status_code == 409
    assert b"someone else changed this" in response.content
    fm.refresh_from_db()
    assert fm.severity == 8


def test_a_viewer_cannot_edit_or_delete(as_victor, register):
    fm = register.fm
    assert as_victor.get(f"/failure-modes/{fm.pk}/edit/").status_code == 403
    assert as_victor.post(f"/failure-modes/{fm.pk}/delete/").status_code == 403
    assert FailureMode.objects.filter(pk=fm.pk).exists()


def test_deleting_keeps_the_history(as_bob, register, bob):
    fm = register.fm
    response = as_bob.post(f"/failure-modes/{fm.pk}/delete/")
    assert response.status_code == 302
    assert not FailureMode.objects.filter(pk=fm.pk).exists()
    assert FailureMode.history.filter(id=fm.pk, history_type="-").get().history_user == bob


def test_an_owner_signs_off_a_severe_risk(as_alice, as_bob, register, alice):
    fm = FailureModeFactory(step=register.step, severity=10, probability=3, detectability=8)
    html = as_alice.get(f"/failure-modes/{fm.pk}/").content.decode()
    assert "Needs management review" in html and "Sign off the review" in html
    assert b"Sign off the review" not in as_bob.get(f"/failure-modes/{fm.pk}/").content
    response = as_alice.post(f"/failure-modes/{fm.pk}/sign-off/", {"version": fm.version})
    assert response.status_code == 302
    fm.refresh_from_db()
    assert fm.review_signed_off_by == alice
    stale = as_alice.post(f"/failure-modes/{fm.pk}/sign-off/", {"version": 1}, follow=True)
    assert b"Someone changed this failure mode" in stale.content


def test_the_list_counts_actions_per_row_and_reads_the_rpn_index(postgres, register, spread):
    """Open / all actions per row, counted for the page's rows only; on PostgreSQL the
    default order (highest RPN first) is read from the (team, -rpn, id) index rather
    than by sorting every failure mode of the team."""
    from django.db import connection

    from registry import ordering, selectors

    team_id = register.app.team_id
    failure_mode = FailureMode.objects.filter(team_id=team_id).order_by("-rpn", "id").first()
    ActionFactory(failure_mode=failure_mode, status="open")
    ActionFactory(failure_mode=failure_mode, status="cancelled")
    rows, _ = ordering.sorted_rows(selectors.failure_mode_rows(team_id), "-rpn", "-rpn")
    first = rows.first()
    assert (first.pk, first.open_action_count, first.action_count) == (failure_mode.pk, 1, 2)
    assert all(row.action_count == 0 for row in rows[1:])
    sql, params = rows[:50].query.sql_with_params()
    with connection.cursor() as cursor:
        # A few rows would rather be scanned and sorted: discourage both, so that the
        # plan shows whether the index can give the order at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "registry_fm_team_rpn" in plan and "Sort Key" not in plan
    assert "SubPlan" in plan  # the action counts, per row of the page
