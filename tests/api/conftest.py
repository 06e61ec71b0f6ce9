import pytest
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from rest_framework.test import APIClient

from registry.services.demo import seed_demo


@pytest.fixture
def api():
    """An API client; `api.as_user(user)` authenticates it as that user."""

    class Client(APIClient):
        def as_user(self, user):
            self.force_authenticate(user)
            return self

    return Client()


@pytest.fixture
def reference_data(db):
    """Tiers, DR strategies, regions and rating scales, as `load_reference_data` ships them."""
    call_command("load_reference_data", verbosity=0)


@pytest.fixture
def demo_owner(db, settings, in_process_requests):
    """The demo team and its owner (not a superuser), with the API's throttles out of
    the way, for generated requests through the WSGI app."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "user": "100000/hour",
            "anon": "100000/hour",
            "auth": "100000/hour",
        },
    }
    call_command("load_reference_data", verbosity=0)
    team = seed_demo()
    owner = team.memberships.get(role="owner").user
    owner.is_superuser = False
    owner.save(update_fields=["is_superuser"])
    return team, owner


@pytest.fixture
def in_process_requests():
    """Requests go through the WSGI app inside the test's transaction, so the handler
    must not close the connection at their end (Django's test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
