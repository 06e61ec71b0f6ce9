"""Probes for the orchestrator: /healthz (process up) and /readyz (dependencies)."""

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_the_database_the_broker_and_the_cache(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "cache": "ok"},
    }


def test_readyz_says_503_when_the_broker_is_unreachable(client, broker_down):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["broker"].startswith("unreachable")
    assert "redis://" not in response.content.decode()  # no secrets or URLs in the output
