"""Comparing two snapshots of a scope: what got worse, better, newly overdue, and which
findings opened and resolved."""

from registry.reports.changes import compare, effective, summary_lines


def snapshot(failure_modes=None, findings=None, overdue=None) -> dict:
    return {
        "taken_at": "2026-11-01T07:00:00+00:00",
        "failure_modes": failure_modes or {},
        "findings": findings or {},
        "overdue_actions": overdue or [],
    }


def test_a_first_run_has_nothing_to_compare_with(db):
    assert compare(None, snapshot()) == {"first_run": True}
    assert "first report" in summary_lines({"first_run": True})[0]


def test_the_revised_rating_counts_once_the_team_has_re_rated():
    assert effective([300, "H", None, None]) == (300, "H")
    assert effective([300, "H", 40, "L"]) == (40, "L")


def test_changes_are_sorted_into_kinds(db):
    before = snapshot(
        failure_modes={
            "1": [100, "M", None, None],  # becomes High: new AP-High
            "2": [100, "M", None, None],  # RPN up, AP the same: worsened
            "3": [300, "H", None, None],  # re-rated to Low: improved
            "4": [50, "L", None, None],  # unchanged
            "5": [60, "L", None, None],  # deleted
        },
        findings={"a": "Old finding", "b": "Still there"},
        overdue=[10],
    )
    after = snapshot(
        failure_modes={
            "1": [400, "H", None, None],
            "2": [150, "M", None, None],
            "3": [300, "H", 30, "L"],
            "4": [50, "L", None, None],
            "6": [500, "H", None, None],  # new and High
        },
        findings={"b": "Still there", "c": "New finding"},
        overdue=[10, 11],
    )
    changes = compare(before, after)
    assert changes["counts"] == {
        "new_high": 2,
        "worsened": 1,
        "improved": 1,
        "newly_overdue": 1,
        "findings_opened": 1,
        "findings_resolved": 1,
        "added": 1,
        "removed": 1,
    }
    assert [item["id"] for item in changes["new_high"]] == [6, 1]  # riskiest first
    assert changes["new_high"][1]["before"] == {"rpn": 100, "ap": "M"}
    assert changes["worsened"][0]["after"] == {"rpn": 150, "ap": "M"}
    assert changes["improved"][0]["after"] == {"rpn": 30, "ap": "L"}
    assert changes["findings_opened"] == [{"key": "c", "message": "New finding"}]
    assert changes["findings_resolved"] == [{"key": "a", "message": "Old finding"}]
    text = "\n".join(summary_lines(changes))
    assert "New AP-High items: 2" in text
    assert "Findings resolved: 1" in text and "Old finding" in text


def test_no_changes_say_so(db):
    same = snapshot(failure_modes={"1": [100, "M", None, None]})
    assert "No changes" in "\n".join(summary_lines(compare(same, same)))
