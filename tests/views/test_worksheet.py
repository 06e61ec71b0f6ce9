"""The step worksheet: the table, inline row editing with htmx, the RPN/AP preview,
bad input, stale edits, roles and team isolation."""

import re

import pytest

from registry.models import FailureMode
from tests.factories import ActionFactory, FailureModeFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def row_data(failure_mode=None, **overrides) -> dict:
    data = {
        "component": "",
        "mode": "Payment provider outage",
        "failure_category": "single_point_of_failure",
        "effect": "Orders cannot be paid",
        "cause": "Provider incident",
        "prevention_controls": "",
        "detection_controls": "",
        "severity": "8",
        "probability": "5",
        "detectability": "3",
        "status": "open",
        "revised_severity": "",
        "revised_probability": "",
        "revised_detectability": "",
    }
    if failure_mode is not None:
        data["version"] = str(failure_mode.version)
        data["mode"] = failure_mode.mode
    return {**data, **overrides}


# --- the page ------------------------------------------------------------------------


def test_it_shows_the_worksheet_columns_and_rows(as_victor, register):
    """Every FMEA column, the row's values, RPN and AP; a viewer gets no edit buttons."""
    html = as_victor.get(f"/steps/{register.step.pk}/").content.decode()
    for heading in (
        "Component",
        "Failure mode",
        "Effect",
        "Cause",
        "Prevention controls",
        "Detection controls",
        "RPN",
        "AP",
        "Status",
        "Actions",
        "rRPN",
    ):
        assert heading in html, heading
    assert "Primary database fails" in html and "Orders table" in html
    assert '<span class="rpn-value">56</span>' in html
    assert "ap ap-M" in html
    assert "row-edit" not in html and "Add failure mode" not in html


def test_rows_over_the_tier_threshold_are_marked_with_text(as_alice, register):
    """A row above the RPN threshold gets a class and a visible "over" marker."""
    FailureModeFactory(step=register.step, mode="Hot", severity=9, probability=5, detectability=3)
    html = as_alice.get(f"/steps/{register.step.pk}/").content.decode()
    assert "over-threshold" in html
    assert "over 100" in html


def test_a_high_priority_row_with_open_actions_shows_h_in_brackets(as_alice, register):
    failure_mode = FailureModeFactory(
        step=register.step, mode="Corruption", severity=10, probability=3, detectability=8
    )
    ActionFactory(failure_mode=failure_mode)
    html = as_alice.get(f"/steps/{register.step.pk}/").content.decode()
    assert "(H)" in html and "High, actions open" in html


def test_it_sorts_by_any_column(as_alice, register):
    FailureModeFactory(step=register.step, mode="Zeta low", severity=1, probability=1)
    FailureModeFactory(step=register.step, mode="Alpha high", severity=10, probability=9)
    url = f"/steps/{register.step.pk}/"
    ascending = as_alice.get(url, {"sort": "rpn"}).content.decode()
    descending = as_alice.get(url, {"sort": "-rpn"}).content.decode()
    assert ascending.index("Zeta low") < ascending.index("Alpha high")
    assert descending.index("Alpha high") < descending.index("Zeta low")
    assert 'aria-sort="descending"' in descending
    by_mode = as_alice.get(url, {"sort": "mode"}).content.decode()
    assert by_mode.index("Alpha high") < by_mode.index("Zeta low")
    assert as_alice.get(url, {"sort": "nonsense"}).status_code == 200


def test_an_empty_worksheet_says_what_to_do(as_alice, register):
    register.fm.delete()
    html = as_alice.get(f"/steps/{register.step.pk}/").content.decode()
    assert "No failure modes yet" in html and "Add from library" in html


def test_another_teams_step_is_not_found(as_alice, register):
    assert as_alice.get(f"/steps/{register.b_step.pk}/").status_code == 404
    assert as_alice.get(f"/failure-modes/{register.b_fm.pk}/row/", **HTMX).status_code == 404
    response = as_alice.post(
        f"/failure-modes/{register.b_fm.pk}/row/edit/", row_data(register.b_fm), **HTMX
    )
    assert response.status_code == 404


def test_the_worksheet_makes_a_fixed_number_of_queries(
    as_alice, register, fixed_queries, more_failure_modes
):
    assert fixed_queries(as_alice, f"/steps/{register.step.pk}/", more_failure_modes) <= 10


# --- editing a row -------------------------------------------------------------------


def test_the_row_editor_has_rating_selects_with_descriptions(as_bob, register):
    """Each rating is a select whose options show number, label and description, and
    every input joins the row's form."""
    response = as_bob.get(f"/failure-modes/{register.fm.pk}/row/edit/", **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'form="form-fm-{register.fm.pk}"' in html
    assert "8 · Very high — A business function is unavailable" in html
    assert f'name="version" value="{register.fm.version}"' in html
    assert "hx-get=" in html and "row/preview/" in html


def test_saving_a_row_answers_the_saved_row_with_database_scores(as_bob, register, bob):
    """8/5/3 gives RPN 120 and AP M, read back from the generated columns."""
    fm = register.fm
    response = as_bob.post(f"/failure-modes/{fm.pk}/row/edit/", row_data(fm), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<span class="rpn-value">120</span>' in html and "ap ap-M" in html
    fm.refresh_from_db()
    assert (fm.severity, fm.probability, fm.detectability, fm.rpn) == (8, 5, 3, 120)
    assert fm.version == 2 and fm.updated_by == bob
    assert fm.history.first().history_user == bob


@pytest.mark.parametrize("bad", ["0", "11", "x", ""])
def test_an_invalid_rating_is_refused_next_to_the_field(as_bob, register, bad):
    """The error sits in the cell, the typed values stay, nothing is saved."""
    fm = register.fm
    data = row_data(fm, severity=bad, effect="My new effect text")
    response = as_bob.post(f"/failure-modes/{fm.pk}/row/edit/", data, **HTMX)
    html = response.content.decode()
    assert response.status_code == 422
    assert f'id="fm-{fm.pk}-severity_error"' in html
    assert "Choose a rating from 1 to 10." in html
    assert 'value="My new effect text"' in html
    assert 'aria-invalid="true"' in html
    if bad:
        assert f"{bad} (not a rating)" in html  # the refused value stays visible
    fm.refresh_from_db()
    assert (fm.severity, fm.version, fm.effect) == (7, 1, "Users cannot complete the step")


def test_a_stale_version_is_refused_and_shows_the_other_persons_values(as_bob, register, alice):
    """Alice saved since Bob loaded the row: Bob's save is refused, her values are
    shown with a reload button, and nothing of hers is overwritten."""
    fm = register.fm
    stale_version = fm.version
    theirs = FailureMode.objects.get(pk=fm.pk)
    theirs.severity = 9
    theirs.updated_by = alice
    theirs.save()
    data = row_data(fm, probability="2")
    data["version"] = str(stale_version)
    response = as_bob.post(f"/failure-modes/{fm.pk}/row/edit/", data, **HTMX)
    html = response.content.decode()
    assert response.status_code == 409
    assert "someone else changed this" in html
    assert "alice saved" in html and "version 2" in html
    assert "Reload the row with their values" in html
    assert f'hx-get="/failure-modes/{fm.pk}/row/"' in html
    stored = FailureMode.objects.get(pk=fm.pk)
    assert (stored.severity, stored.probability, stored.version) == (9, 4, 2)


def test_cancel_shows_the_row_again(as_bob, register):
    response = as_bob.get(f"/failure-modes/{register.fm.pk}/row/", **HTMX)
    assert response.status_code == 200
    assert b"Primary database fails" in response.content
    assert b"<tr " in response.content


def test_cancel_clears_the_status_line_without_saying_saved(as_bob, register):
    """Nothing was saved: the status line is emptied, and no "Saved" message appears."""
    response = as_bob.get(f"/failure-modes/{register.fm.pk}/row/", **HTMX)
    html = response.content.decode()
    assert 'id="worksheet-status" hx-swap-oob="innerHTML"></div>' in html
    assert "Saved" not in html


def test_a_save_says_saved_with_the_new_scores(as_bob, register):
    fm = register.fm
    response = as_bob.post(f"/failure-modes/{fm.pk}/row/edit/", row_data(fm), **HTMX)
    assert "Saved “Primary database fails”: RPN 120, action priority M." in (
        response.content.decode()
    )


def test_the_error_count_counts_the_marked_fields_only(as_bob, register):
    """Four marked fields and a form-level error say "4", in the row and on the page."""
    fm = register.fm
    data = row_data(fm, mode="", severity="11", revised_severity="3")
    response = as_bob.post(f"/failure-modes/{fm.pk}/row/edit/", data, **HTMX)
    html = response.content.decode()
    assert response.status_code == 422
    # mode, severity, and the two revised ratings left blank beside the given one.
    assert "Correct the 4 marked fields in the row" in html
    page = as_bob.post(f"/failure-modes/{fm.pk}/row/edit/", data).content.decode()
    assert "Correct the 4 marked fields below." in page


def test_a_viewer_cannot_edit_a_row(as_victor, register):
    fm = register.fm
    assert as_victor.get(f"/failure-modes/{fm.pk}/row/edit/", **HTMX).status_code == 403
    response = as_victor.post(f"/failure-modes/{fm.pk}/row/edit/", row_data(fm), **HTMX)
    assert response.status_code == 403
    fm.refresh_from_db()
    assert fm.version == 1


def test_without_htmx_the_row_form_falls_back_to_pages(as_bob, register):
    """No JavaScript: the edit link opens the full form, a post redirects back."""
    fm = register.fm
    response = as_bob.get(f"/failure-modes/{fm.pk}/row/edit/")
    assert response.status_code == 302 and response["Location"].endswith(f"/{fm.pk}/edit/")
    response = as_bob.post(f"/failure-modes/{fm.pk}/row/edit/", row_data(fm))
    assert response.status_code == 302
    response = as_bob.post(f"/failure-modes/{fm.pk}/row/edit/", row_data(fm, severity="11"))
    assert response.status_code == 422 and b"Choose a rating" in response.content


# --- adding a row --------------------------------------------------------------------


def test_a_new_row_is_a_blank_form(as_bob, register):
    response = as_bob.get(f"/steps/{register.step.pk}/rows/new/", **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="new-' in html and 'name="mode"' in html and "autofocus" in html


def test_adding_a_row_creates_the_failure_mode(as_bob, register, bob):
    data = {**row_data(), "row": "new-0123abcd", "component": register.component.pk}
    response = as_bob.post(f"/steps/{register.step.pk}/rows/new/", data, **HTMX)
    assert response.status_code == 200
    created = FailureMode.objects.get(mode="Payment provider outage")
    assert (created.rpn, created.action_priority, created.team_id) == (
        120,
        "M",
        register.app.team_id,
    )
    assert created.created_by == bob and created.component == register.component
    assert f'id="fm-{created.pk}"'.encode() in response.content


def test_a_new_row_with_bad_input_keeps_its_id_and_saves_nothing(as_bob, register):
    data = {**row_data(), "row": "new-0123abcd", "mode": "", "severity": "11"}
    response = as_bob.post(f"/steps/{register.step.pk}/rows/new/", data, **HTMX)
    assert response.status_code == 422
    assert b'id="new-0123abcd"' in response.content
    assert FailureMode.objects.filter(step=register.step).count() == 1


def test_a_component_of_another_team_is_refused(as_bob, register):
    data = {**row_data(), "row": "new-0123abcd", "component": register.b_component.pk}
    response = as_bob.post(f"/steps/{register.step.pk}/rows/new/", data, **HTMX)
    assert response.status_code == 422
    assert not FailureMode.objects.filter(mode="Payment provider outage").exists()


def test_a_viewer_cannot_add_rows(as_victor, register):
    assert as_victor.get(f"/steps/{register.step.pk}/rows/new/", **HTMX).status_code == 403
    response = as_victor.post(f"/steps/{register.step.pk}/rows/new/", row_data(), **HTMX)
    assert response.status_code == 403


# --- the live preview ----------------------------------------------------------------


def test_the_preview_recomputes_rpn_and_ap(as_bob, register):
    response = as_bob.get(
        f"/steps/{register.step.pk}/rows/preview/",
        {"row": "new-0123abcd", "severity": "8", "probability": "5", "detectability": "3"},
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="new-0123abcd-rpn" hx-swap-oob="true"' in html
    assert '<span class="rpn-value">120</span>' in html and "over 100" in html
    assert "ap ap-M" in html


def test_the_preview_shows_h_in_brackets_when_actions_are_open(as_bob, register):
    ActionFactory(failure_mode=register.fm)
    response = as_bob.get(
        f"/failure-modes/{register.fm.pk}/row/preview/",
        {
            "row": f"fm-{register.fm.pk}",
            "severity": "10",
            "probability": "3",
            "detectability": "8",
        },
        **HTMX,
    )
    assert b"(H)" in response.content


def test_the_preview_of_incomplete_or_invalid_ratings_shows_no_score(as_bob, register):
    response = as_bob.get(
        f"/steps/{register.step.pk}/rows/preview/",
        {"row": "new-0123abcd", "severity": "11", "probability": "5", "detectability": "3"},
    )
    assert b"rpn-value" not in response.content


def test_the_preview_refuses_an_unknown_row_id(as_bob, register):
    response = as_bob.get(
        f"/steps/{register.step.pk}/rows/preview/", {"row": '"><script>', "severity": "1"}
    )
    assert response.status_code == 404


def test_the_preview_of_another_teams_row_is_not_found(as_bob, register):
    response = as_bob.get(
        f"/failure-modes/{register.b_fm.pk}/row/preview/", {"row": f"fm-{register.b_fm.pk}"}
    )
    assert response.status_code == 404


def test_without_htmx_a_stale_row_save_shows_the_conflict_page(as_bob, register):
    fm = register.fm
    FailureMode.objects.get(pk=fm.pk).save()  # someone else saves version 2
    response = as_bob.post(f"/failure-modes/{fm.pk}/row/edit/", row_data(fm, severity="2"))
    assert response.status_code == 409
    assert b"someone else changed this" in response.content
    fm.refresh_from_db()
    assert fm.severity == 7


def test_the_component_picker_lists_the_steps_dependencies_first(as_bob, register):
    """ "Orders table" (needed by the step) comes before "Audit log" and "Billing API"
    (the team's others), each group named; another team's components never show."""
    from tests.factories import ComponentFactory

    ComponentFactory(team=register.app.team, name="Audit log", kind="storage")
    ComponentFactory(team=register.app.team, name="Billing API", kind="service")
    html = as_bob.get(f"/failure-modes/{register.fm.pk}/row/edit/", **HTMX).content.decode()
    picker = html.split('name="component"')[1].split("</select>")[0]
    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', picker, re.S)
    assert [(label, re.findall(r">([^<]+)</option>", body)) for label, body in groups] == [
        ("This step&#x27;s dependencies", ["Orders table (Database)"]),
        ("Other components of the team", ["Audit log (Storage)", "Billing API (Service)"]),
    ]
    assert "Secret B" not in picker


@pytest.mark.parametrize("mode", ["Primary database fails", "PRIMARY DATABASE FAILS"])
def test_a_second_row_with_the_same_component_and_mode_is_refused(as_bob, register, mode):
    """The step already has "Primary database fails" for the orders table: a new row
    saying the same (in any case) is refused beside the mode; nothing is saved."""
    data = {**row_data(), "row": "new-0123abcd", "component": register.component.pk, "mode": mode}
    response = as_bob.post(f"/steps/{register.step.pk}/rows/new/", data, **HTMX)
    assert response.status_code == 422
    assert "This step already has this failure mode for the same component" in (
        response.content.decode()
    )
    assert FailureMode.objects.filter(step=register.step).count() == 1
    # Without the component it is another failure mode, and is added.
    data["component"] = ""
    response = as_bob.post(f"/steps/{register.step.pk}/rows/new/", data, **HTMX)
    assert response.status_code == 200
    assert FailureMode.objects.filter(step=register.step).count() == 2
