"""A real HTTP receiver on loopback that records what it is sent and answers with the
codes it is told to (then 200)."""

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from registry.choices import Role
from registry.models import WebhookSubscription
from tests.factories import MembershipFactory, UserFactory

SECRET = "receiver-shared-secret-0123456789"


@dataclass
class Received:
    headers: dict
    body: bytes


@dataclass
class Receiver:
    url: str
    answers: list[int] = field(default_factory=list)
    #: Answer 500 to the first request of every event id, 200 to its retries.
    fail_each_once: bool = False
    received: list[Received] = field(default_factory=list)


@pytest.fixture
def receiver():
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(Received(dict(self.headers), body))
            code = state.answers.pop(0) if state.answers else 200
            event_id = self.headers.get("FMEA-Event-Id")
            if state.fail_each_once:
                seen = [r for r in state.received if r.headers.get("FMEA-Event-Id") == event_id]
                code = 500 if len(seen) == 1 else 200
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_port}/hooks/fmea"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def loopback_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.WEBHOOK_RETRY_BASE_SECONDS = 1


@pytest.fixture
def subscribed(loopback_allowed, receiver, team_a, alice):
    """Team A's owner subscribes the receiver to every event."""
    from registry.choices import WebhookEvent

    return WebhookSubscription.objects.create(
        team=team_a, url=receiver.url, secret=SECRET, events=list(WebhookEvent.values)
    )


@pytest.fixture
def owner_of_b(team_b):
    user = UserFactory(username="olga")
    MembershipFactory(team=team_b, user=user, role=Role.OWNER)
    return user
