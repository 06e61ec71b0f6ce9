"""Faults: the cache's Redis stops. Rate limits and the sign-in lockout live there; with
it gone they are not enforced (a warning in the log), while edits, the token endpoint
and the browser's sign-in go on, and /readyz reports the cache as unreachable.

The Redis is a real `redis-server` process, started by the test on a free port and
stopped in the middle of the test.
"""

import shutil
import subprocess
import time
from pathlib import Path

import pytest
import redis
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from fmea.settings import REDIS_CACHE_OPTIONS
from registry.models import FailureMode
from tests.conftest import require
from tests.factories import FailureModeFactory, MembershipFactory, UserFactory
from tests.workers import free_port

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


class RedisServer:
    """A `redis-server` of the test's own, without persistence."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.directory)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def stored_keys(self) -> list[bytes]:
        return redis.Redis(port=self.port).keys("*")


@pytest.fixture
def redis_cache(settings, tmp_path):
    """The default cache on a Redis of the test's own, configured as CACHE_URL makes it."""
    require(shutil.which("redis-server") is not None, "needs redis-server")
    server = RedisServer(tmp_path)
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "fmea",
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
    yield server
    server.stop()


@pytest.fixture
def editor(team_a):
    user = UserFactory(username="erin", password=PASSWORD)
    MembershipFactory(team=team_a, user=user, role="editor")
    return user


def test_edits_and_sign_ins_go_on_while_the_cache_is_down(
    redis_cache, editor, team_a, client, caplog
):
    """Before: the limits count in Redis. Redis stopped: a PATCH is saved and answered
    200, a token is issued, the browser signs in, a wrong password is an ordinary form
    error, each at once, and /readyz reports the cache unreachable."""
    failure_mode = FailureModeFactory(step__application__team=team_a, severity=3)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=editor).key}")
    assert api.get("/api/v1/failure-modes/").status_code == 200
    assert any(b"throttle" in key for key in redis_cache.stored_keys())  # the limits use Redis

    redis_cache.stop()
    started = time.monotonic()

    response = api.patch(f"/api/v1/failure-modes/{failure_mode.pk}/", {"severity": 9})
    assert response.status_code == 200, response.content
    assert FailureMode.objects.get(pk=failure_mode.pk).severity == 9
    assert api.get("/api/v1/failure-modes/").json()["count"] == 1

    token = APIClient().post("/api/v1/auth/token/", {"username": "erin", "password": PASSWORD})
    assert token.status_code == 200
    assert token.json()["token"]

    wrong = client.post("/accounts/login/", {"username": "erin", "password": "wrong"})
    assert wrong.status_code == 200
    signed_in = client.post("/accounts/login/", {"username": "erin", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert client.get("/").status_code == 200

    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"
    assert ready.json()["checks"]["cache"].startswith("unreachable")

    # Nine requests, none waiting on the dead cache for long.
    assert time.monotonic() - started < 10
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("Cache unreachable" in message for message in warnings)
    assert any("rate limits not enforced" in message for message in warnings)
    assert any("sign-in lockout not enforced" in message for message in warnings)


def test_the_lockout_holds_again_once_the_cache_is_back(redis_cache, editor, client):
    """Failures counted before the outage are gone with Redis (it keeps nothing on disk
    here); after the restart five new failures lock the name out again."""
    redis_cache.stop()
    response = client.post("/accounts/login/", {"username": "erin", "password": "x"})
    assert response.status_code == 200
    redis_cache.start()
    for _ in range(5):
        client.post("/accounts/login/", {"username": "erin", "password": "wrong"})
    locked = client.post("/accounts/login/", {"username": "erin", "password": PASSWORD})
    assert locked.status_code == 429
