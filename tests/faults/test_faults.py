"""Faults: the broker down during an edit, a dropped database connection, and two
editors saving the same failure mode at the same moment."""

import json
import threading
from wsgiref.util import setup_testing_defaults

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection, connections
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from fmea.wsgi import application
from registry.analysis.tasks import sweep_dirty_teams
from registry.models import FailureMode, Membership, StaleEditError, Team, TeamRecompute

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo():
    call_command("seed_demo", verbosity=0)
    team = Team.objects.get(slug="demo")
    owner = Membership.objects.get(team=team, role="owner").user
    return team, owner


def test_an_edit_succeeds_while_the_broker_is_down_and_is_rolled_up_later(demo, broker_down):
    """The PATCH is saved and answered 200; the team stays dirty until the sweep runs."""
    team, owner = demo
    from registry.analysis import rollups

    rollups.recompute_team(team.pk)
    failure_mode = FailureMode.objects.filter(team=team, step__application__tier__level=1)[0]
    client = APIClient()
    client.force_authenticate(owner)
    response = client.patch(
        f"/api/v1/failure-modes/{failure_mode.pk}/",
        {"severity": 10, "probability": 10, "detectability": 10},
        format="json",
    )
    assert response.status_code == 200
    failure_mode.refresh_from_db()
    assert failure_mode.rpn == 1000
    assert TeamRecompute.objects.get(team=team).dirty is True
    # The broker is back: the periodic sweep (a beat task) recomputes the dirty team.
    assert sweep_dirty_teams() == 1
    assert TeamRecompute.objects.get(team=team).dirty is False
    assert team.tier_rollups.get(tier__level=1).rpn_max == 1000


def test_the_next_request_succeeds_after_the_database_dropped_the_connection(postgres, demo):
    """pg_terminate_backend on the app's open connection between two requests: the next
    request notices (CONN_HEALTH_CHECKS), reconnects and succeeds."""
    _, owner = demo
    token = Token.objects.create(user=owner).key

    def get_tiers() -> str:
        # Through the WSGI application in this thread, as a gunicorn worker serves it:
        # the connection persists between requests (CONN_MAX_AGE).
        environ: dict = {}
        setup_testing_defaults(environ)
        environ.update(
            PATH_INFO="/api/v1/tiers/",
            HTTP_AUTHORIZATION=f"Token {token}",
            HTTP_HOST="localhost",
        )
        statuses = []
        body = b"".join(application(environ, lambda status, headers: statuses.append(status)))
        assert json.loads(body)["count"] == 4
        return statuses[0]

    assert get_tiers() == "200 OK"
    app_pid = connection.connection.info.backend_pid
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        dbname=settings["NAME"],
        autocommit=True,
    ) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [app_pid]).fetchone()[0]
    assert get_tiers() == "200 OK"
    assert connection.connection.info.backend_pid != app_pid


def test_two_editors_saving_at_the_same_moment_one_wins(postgres, demo):
    """Two threads read version 1 and save together: one saves, one gets a conflict."""
    team, _ = demo
    failure_mode = FailureMode.objects.filter(team=team)[0]
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def edit(name: str, severity: int) -> None:
        try:
            copy = FailureMode.objects.get(pk=failure_mode.pk)
            copy.severity = severity
            barrier.wait(timeout=10)
            copy.save()
            outcomes[name] = "saved"
        except StaleEditError:
            outcomes[name] = "conflict"
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=edit, args=("first", 2)),
        threading.Thread(target=edit, args=("second", 9)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["conflict", "saved"]
    failure_mode.refresh_from_db()
    winner = next(name for name, outcome in outcomes.items() if outcome == "saved")
    assert failure_mode.severity == {"first": 2, "second": 9}[winner]
    assert failure_mode.version == 2
