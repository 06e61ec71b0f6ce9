"""Importing worksheets: the sample layout creates what is missing, matches what exists,
and a dry run writes nothing."""

import datetime

import pytest
from simple_history.utils import get_history_manager_for_model

from registry.imports.service import import_worksheet
from registry.models import Application, Component, FailureMode, Step, TeamRecompute, Tier
from tests.factories import ApplicationFactory, BusinessFunctionFactory, ComponentFactory
from tests.imports.conftest import NOTHING, csv_bytes, register_counts, sample_rows, xlsx_bytes


def test_the_sample_worksheet_creates_the_register(empty_team, sample_bytes, alice):
    result = import_worksheet(team=empty_team, user=alice, data=sample_bytes)
    assert result.ok, result.problems
    assert register_counts(empty_team) == {
        "business_functions": 2,
        "applications": 2,
        "steps": 4,
        "components": 5,
        "failure_modes": 5,
        "actions": 3,
    }
    order = Application.objects.get(team=empty_team, name="Order processing")
    assert (
        order.tier.level == 1 and order.business_function.name == "Process purchase transactions"
    )
    assert list(order.steps.values_list("order", "name")) == [
        (1, "Add to cart"),
        (2, "Pay"),
        (3, "Confirm order"),
    ]
    assert Component.objects.get(team=empty_team, name="Cart table").kind == "database"
    conflict = FailureMode.objects.get(team=empty_team, mode="Write conflict between Regions")
    assert (conflict.severity, conflict.probability, conflict.detectability) == (9, 3, 8)
    assert conflict.rpn == 216 and conflict.step.name == "Pay"
    assert conflict.created_by == alice
    action = conflict.actions.get()
    assert (action.owner, action.due_date) == ("carol", datetime.date(2027, 1, 31))
    assert FailureMode.objects.get(team=empty_team, mode__startswith="Poison").status == "accepted"
    history = get_history_manager_for_model(FailureMode).filter(id=conflict.pk).get()
    assert history.history_user == alice and history.history_type == "+"
    assert result.summary["created"]["failure_modes"] == 5
    assert TeamRecompute.objects.get(team=empty_team).dirty  # rollups will catch up


def test_a_dry_run_says_what_would_be_created_and_writes_nothing(empty_team, sample_bytes):
    result = import_worksheet(team=empty_team, user=None, data=sample_bytes, dry_run=True)
    assert result.ok and result.dry_run
    assert result.summary["created"] == {
        "business_functions": 2,
        "applications": 2,
        "steps": 4,
        "components": 5,
        "failure_modes": 5,
        "actions": 3,
    }
    assert "Order processing" in result.summary["names"]["applications"]
    assert "Order processing / Pay" in result.summary["names"]["steps"]
    assert "would be created" in result.summary["message"]
    assert register_counts(empty_team) == NOTHING


def test_existing_rows_are_matched_by_name_ignoring_case(empty_team, sample_bytes):
    function = BusinessFunctionFactory(team=empty_team, name="Process Purchase Transactions")
    app = ApplicationFactory(
        team=empty_team,
        name="ORDER processing",
        business_function=function,
        tier=Tier.objects.get(level=1),
    )
    Step.objects.create(application=app, order=1, name="pay")
    ComponentFactory(team=empty_team, name="Payment provider", kind="third_party")
    result = import_worksheet(team=empty_team, user=None, data=sample_bytes)
    assert result.ok, result.problems
    counts = register_counts(empty_team)
    assert (counts["business_functions"], counts["applications"], counts["components"]) == (
        2,
        2,
        5,
    )
    assert list(app.steps.order_by("order").values_list("name", flat=True)) == [
        "pay",
        "Add to cart",
        "Confirm order",
    ]
    assert result.summary["created"]["applications"] == 1


def test_an_xlsx_worksheet_imports_like_the_csv(empty_team):
    rows = sample_rows()
    rows[1][rows[0].index("severity")] = 6  # numbers as numbers, dates as dates
    rows[1][rows[0].index("action_due")] = datetime.datetime(2027, 1, 15)
    result = import_worksheet(team=empty_team, user=None, data=xlsx_bytes(rows))
    assert result.ok, result.problems
    assert register_counts(empty_team)["failure_modes"] == 5
    throttling = FailureMode.objects.get(mode="Throttling at the provisioned capacity")
    assert throttling.actions.get().due_date == datetime.date(2027, 1, 15)


def test_headers_are_read_loosely_and_optional_columns_may_be_missing(empty_team):
    data = csv_bytes(
        [
            ["Business Function", "APPLICATION", "Tier", "Step", "Failure mode", "Severity",
             "Probability", "Detectability", "Revised severity", "Revised probability",
             "Revised detectability"],
            ["Pay", "Checkout", "Tier 2", "Pay", "Card declined", "4", "5", "6", "2", "2", "2"],
        ]
    )  # fmt: skip
    result = import_worksheet(team=empty_team, user=None, data=data)
    assert result.ok, result.problems
    failure_mode = FailureMode.objects.get(team=empty_team)
    assert (failure_mode.rpn, failure_mode.revised_rpn, failure_mode.status) == (120, 8, "open")
    assert failure_mode.component is None
    assert failure_mode.step.application.tier.level == 2


def test_a_semicolon_separated_csv_with_a_bom_imports(empty_team):
    text = "\ufeff" + "\n".join(
        ";".join(row) for row in [
            ["business_function", "application", "tier", "step", "mode", "severity",
             "probability", "detectability"],
            ["Pay", "Checkout", "1", "Pay", "Card declined", "4", "5", "6"],
        ]
    )  # fmt: skip
    result = import_worksheet(team=empty_team, user=None, data=text.encode())
    assert result.ok, result.problems


def test_an_import_is_all_or_nothing_even_when_the_write_fails(empty_team, monkeypatch):
    """A database error halfway through the write leaves nothing behind."""
    from registry.imports import service

    real = service.bulk_create_with_history

    def failing(objs, model, **kwargs):
        if model is FailureMode:
            raise RuntimeError("connection lost")
        return real(objs, model, **kwargs)

    monkeypatch.setattr(service, "bulk_create_with_history", failing)
    data = csv_bytes(sample_rows())
    with pytest.raises(RuntimeError):
        import_worksheet(team=empty_team, user=None, data=data)
    assert register_counts(empty_team) == NOTHING
