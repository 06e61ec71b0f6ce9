"""Security headers, login throttling and request ids in the logs."""

import json
import logging

import pytest

from fmea.observability import ContextFilter, JsonFormatter
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_pages_carry_a_content_security_policy_of_the_apps_own_files(client):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_sixth_failed_login_in_a_row_is_refused_with_429(client):
    """Brute force against one account from one address is slowed down."""
    UserFactory(username="alice", password="correct horse battery")
    for _ in range(5):
        response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
        assert response.status_code == 200
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "correct horse battery"}
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_each_response_has_a_request_id_and_keeps_a_proxys(client):
    assert len(client.get("/healthz")["X-Request-ID"]) == 32
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"


def test_log_lines_are_json_with_the_request_context():
    record = logging.LogRecord("fmea.requests", logging.INFO, __file__, 1, "GET / 200", (), None)
    ContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "GET / 200"
    assert {"time", "level", "request_id", "user_id", "team"} <= set(line)
