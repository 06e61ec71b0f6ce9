"""Shared fixtures: personas for permission boundaries and service requirements.

alice owns team A, bob edits team A, victor only views team A, and charlie belongs
to team B alone: he must never see or touch team A's register.
"""

import os

import pytest
from django.db import connection

from registry.choices import Role
from tests.factories import MembershipFactory, TeamFactory, UserFactory

REQUIRE_SERVICES = os.environ.get("FMEA_REQUIRE_SERVICES") == "1"


def require(available: bool, reason: str) -> None:
    """Skip when a service is missing; fail instead when the run requires services."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (FMEA_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


@pytest.fixture
def postgres(db) -> None:
    require(connection.vendor == "postgresql", "needs PostgreSQL: set DATABASE_URL")


@pytest.fixture
def team_a(db):
    return TeamFactory(name="Team A", slug="team-a")


@pytest.fixture
def team_b(db):
    return TeamFactory(name="Team B", slug="team-b")


@pytest.fixture
def alice(team_a):
    user = UserFactory(username="alice")
    MembershipFactory(team=team_a, user=user, role=Role.OWNER)
    return user


@pytest.fixture
def bob(team_a):
    user = UserFactory(username="bob")
    MembershipFactory(team=team_a, user=user, role=Role.EDITOR)
    return user


@pytest.fixture
def victor(team_a):
    user = UserFactory(username="victor")
    MembershipFactory(team=team_a, user=user, role=Role.VIEWER)
    return user


@pytest.fixture
def charlie(team_b):
    user = UserFactory(username="charlie")
    MembershipFactory(team=team_b, user=user, role=Role.OWNER)
    return user


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def capture_queued(monkeypatch):
    """`capture_queued(task)`: the ids the task is queued with from then on (none sent)."""

    def capture(task) -> list:
        ids: list = []
        monkeypatch.setattr(task, "apply_async", lambda args, **options: ids.append(args[0]))
        return ids

    return capture


@pytest.fixture
def broker_down():
    """Point the Celery app at a port where nothing listens (the broker is down)."""
    from fmea.celery import app

    def forget_connections() -> None:
        # Publishing reuses pooled connections made for the broker of the moment.
        app._pool = None
        app.amqp._producer_pool = None

    names = ("broker_url", "broker_read_url", "broker_write_url")
    previous = {name: app.conf[name] for name in (*names, "broker_transport")}
    # The transport by the URL's scheme: the embedded broker's (fmea.broker) would
    # otherwise be used whatever the URL says.
    app.conf.update({name: "redis://127.0.0.1:1/0" for name in names}, broker_transport=None)
    forget_connections()
    yield
    app.conf.update(previous)
    forget_connections()


@pytest.fixture
def worker():
    """A real worker in a thread, on the configured broker, consuming the default and the
    reports queue as in production (`celery worker -Q celery,reports`)."""
    from celery.contrib.testing.worker import start_worker
    from django.conf import settings

    from fmea.celery import app

    queues = [settings.CELERY_TASK_DEFAULT_QUEUE, settings.REPORT_QUEUE]
    with start_worker(
        app,
        pool="solo",
        concurrency=1,
        perform_ping_check=False,
        loglevel="WARNING",
        queues=queues,
    ) as worker:
        yield worker
