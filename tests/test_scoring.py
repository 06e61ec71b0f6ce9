"""RPN and action priority agree with the reference table, in Python and in SQL."""

import csv
import itertools
from pathlib import Path

import pytest

from registry import scoring
from registry.models import FailureMode
from tests.factories import StepFactory

SHARED_TABLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "action_priority.csv"
PROJECT_TABLE = Path(scoring.__file__).resolve().parent / "data" / "action_priority.csv"
TRIPLES = list(itertools.product(range(1, 11), repeat=3))


def reference_priorities() -> dict[tuple[int, int, int], str]:
    """Each rating triple's priority, from the reference CSV (the shared copy if present)."""
    table = SHARED_TABLE if SHARED_TABLE.exists() else PROJECT_TABLE
    with table.open(newline="") as handle:
        rules = list(csv.DictReader(handle))
    expected = {}
    for triple in TRIPLES:
        matches = [
            rule["action_priority"]
            for rule in rules
            if all(
                int(rule[f"{name}_min"]) <= value <= int(rule[f"{name}_max"])
                for name, value in zip(
                    ("severity", "probability", "detectability"), triple, strict=True
                )
            )
        ]
        assert len(matches) == 1, f"{triple} is covered by {len(matches)} rules of the table"
        expected[triple] = matches[0]
    return expected


def test_project_copy_of_the_table_matches_the_reference():
    """The table the project ships is the reference table."""
    if not SHARED_TABLE.exists():
        pytest.skip("../shared/data is not beside this checkout")
    assert PROJECT_TABLE.read_text() == SHARED_TABLE.read_text()


def test_python_functions_cover_all_1000_triples():
    """rpn() is the product and action_priority() follows the table for every triple."""
    expected = reference_priorities()
    for severity, probability, detectability in TRIPLES:
        assert scoring.rpn(severity, probability, detectability) == (
            severity * probability * detectability
        )
        assert (
            scoring.action_priority(severity, probability, detectability)
            == (expected[severity, probability, detectability])
        )


def test_ap_weighs_severity_first():
    """Same RPN 80, different priorities: 10/4/2 is High, 2/10/4 is Low."""
    assert scoring.rpn(10, 4, 2) == scoring.rpn(2, 10, 4) == 80
    assert scoring.action_priority(10, 4, 2) == "H"
    assert scoring.action_priority(2, 10, 4) == "L"


@pytest.mark.parametrize("bad", [0, 11, -1])
def test_python_functions_refuse_ratings_out_of_range(bad):
    """A rating outside 1–10 is an error, not a number."""
    with pytest.raises(ValueError, match="1 to 10"):
        scoring.rpn(bad, 5, 5)
    with pytest.raises(ValueError, match="1 to 10"):
        scoring.action_priority(5, 5, bad)


@pytest.mark.django_db
def test_database_columns_cover_all_1000_triples():
    """The generated RPN and AP columns, current and revised, match the table."""
    expected = reference_priorities()
    step = StepFactory()
    FailureMode.objects.bulk_create(
        FailureMode(
            team=step.application.team,
            step=step,
            mode=f"{s}/{p}/{d}",
            severity=s,
            probability=p,
            detectability=d,
            revised_severity=s,
            revised_probability=p,
            revised_detectability=d,
        )
        for s, p, d in TRIPLES
    )
    rows = FailureMode.objects.values_list(
        "severity",
        "probability",
        "detectability",
        "rpn",
        "action_priority",
        "revised_rpn",
        "revised_action_priority",
    )
    assert len(rows) == 1000
    for s, p, d, rpn, ap, revised_rpn, revised_ap in rows:
        assert rpn == revised_rpn == s * p * d
        assert ap == revised_ap == expected[s, p, d], (s, p, d)


@pytest.mark.django_db
def test_revised_columns_are_null_until_re_rated():
    """Without revised ratings there is no residual RPN or AP."""
    step = StepFactory()
    failure_mode = FailureMode.objects.create(
        step=step, mode="Disk fills up", severity=8, probability=5, detectability=3
    )
    failure_mode.refresh_from_db()
    assert (failure_mode.rpn, failure_mode.action_priority) == (120, "M")
    assert failure_mode.revised_rpn is None
    assert failure_mode.revised_action_priority is None


@pytest.mark.django_db
def test_filters_and_ordering_run_on_the_generated_columns():
    """Filtering by AP and ordering by RPN happen in SQL."""
    step = StepFactory()
    for s, p, d in [(9, 8, 2), (2, 2, 2), (7, 5, 8)]:
        FailureMode.objects.create(
            step=step, mode=f"{s}{p}{d}", severity=s, probability=p, detectability=d
        )
    ordered = list(FailureMode.objects.order_by("-rpn").values_list("rpn", flat=True))
    assert ordered == [280, 144, 8]
    assert FailureMode.objects.filter(action_priority="H").count() == 2


def test_management_review_rule():
    """Severity 9–10 with AP High or Medium needs a sign-off; Low or severity 8 does not."""
    assert scoring.needs_management_review(9, "H")
    assert scoring.needs_management_review(10, "M")
    assert not scoring.needs_management_review(10, "L")
    assert not scoring.needs_management_review(8, "H")
