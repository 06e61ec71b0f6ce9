import pytest
from django.core.management import call_command
from rest_framework.test import APIClient


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
