"""Fixtures of the browser page tests: reference data, a small register for team A
(and one row for team B that must never show), and logged-in clients per persona."""

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from registry.models import DrStrategy, Tier
from registry.services.reference_data import load_reference_data
from tests.factories import (
    ActionFactory,
    ApplicationFactory,
    ComponentFactory,
    DependencyFactory,
    FailureModeFactory,
    StepFactory,
)


@pytest.fixture
def reference(db):
    load_reference_data()


@pytest.fixture
def register(reference, team_a, team_b):
    """Team A: one application, one step needing one component, one failure mode.
    Team B: the same shape, with names that must never appear on team A's pages."""
    tier = Tier.objects.get(level=1)
    strategy = DrStrategy.objects.get(code="warm_standby")
    app = ApplicationFactory(team=team_a, name="Order processing", tier=tier, dr_strategy=strategy)
    step = StepFactory(application=app, order=1, name="Pay")
    component = ComponentFactory(team=team_a, name="Orders table", kind="database")
    DependencyFactory(step=step, component=component)
    failure_mode = FailureModeFactory(
        step=step,
        component=component,
        mode="Primary database fails",
        severity=7,
        probability=4,
        detectability=2,
    )
    b_app = ApplicationFactory(team=team_b, name="Secret B app", tier=tier, dr_strategy=strategy)
    b_step = StepFactory(application=b_app, order=1, name="Secret B step")
    b_component = ComponentFactory(team=team_b, name="Secret B component")
    b_failure_mode = FailureModeFactory(step=b_step, mode="Secret B failure")
    return SimpleNamespace(
        tier=tier,
        strategy=strategy,
        app=app,
        step=step,
        component=component,
        fm=failure_mode,
        b_app=b_app,
        b_step=b_step,
        b_component=b_component,
        b_fm=b_failure_mode,
    )


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def as_alice(alice):
    return logged_in(alice)


@pytest.fixture
def as_bob(bob):
    return logged_in(bob)


@pytest.fixture
def as_victor(victor):
    return logged_in(victor)


@pytest.fixture
def as_charlie(charlie):
    return logged_in(charlie)


@pytest.fixture
def fixed_queries(django_assert_max_num_queries):
    """`fixed_queries(client, url, grow)`: the page makes no more queries after `grow()`
    adds 29 rows than with one row."""

    def check(client, url: str, grow) -> int:
        with CaptureQueriesContext(connection) as one:
            assert client.get(url).status_code == 200
        grow()
        with django_assert_max_num_queries(len(one)):
            assert client.get(url).status_code == 200
        return len(one)

    return check


@pytest.fixture
def more_failure_modes(register):
    """Adds 29 failure modes (with actions) to team A's step, over several components."""

    def grow(step=None, count: int = 29) -> None:
        step = step or register.step
        for index in range(count):
            component = ComponentFactory(team=step.application.team, kind="service")
            failure_mode = FailureModeFactory(
                step=step,
                component=component,
                severity=1 + index % 10,
                probability=1 + (index * 3) % 10,
                detectability=1 + (index * 7) % 10,
            )
            ActionFactory(failure_mode=failure_mode)

    return grow
