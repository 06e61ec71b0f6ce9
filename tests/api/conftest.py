import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api():
    """An API client; `api.as_user(user)` authenticates it as that user."""

    class Client(APIClient):
        def as_user(self, user):
            self.force_authenticate(user)
            return self

    return Client()
