"""Deeply nested JSON bodies answer 400 with a message, on every endpoint, the anonymous
token endpoint included, instead of the decoder's RecursionError (a 500)."""

import pytest

from registry.api.parsers import MAX_DEPTH, depth_exceeds
from registry.models import FailureMode
from tests.factories import FailureModeFactory

pytestmark = pytest.mark.django_db
TOO_DEEP = "JSON parse error - the body nests deeper than 64 levels."


def nested(levels: int) -> str:
    """A JSON body of `levels` nested lists around a 1: nested(2) == "[[1]]"."""
    return "[" * levels + "1" + "]" * levels


@pytest.mark.parametrize("levels", [65, 1000, 100_000])
def test_the_token_endpoint_refuses_a_deep_body_with_400(api, levels):
    response = api.post("/api/v1/auth/token/", nested(levels), content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": TOO_DEEP}


@pytest.mark.parametrize("levels", [65, 5000])
def test_a_resource_refuses_a_deep_body_and_stores_nothing(api, bob, team_a, levels):
    failure_mode = FailureModeFactory(step__application__team=team_a, mode="Disk full")
    body = '{"mode": ' + nested(levels) + "}"
    response = api.as_user(bob).patch(
        f"/api/v1/failure-modes/{failure_mode.pk}/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": TOO_DEEP}
    assert FailureMode.objects.get().mode == "Disk full"


def test_sixty_four_levels_are_parsed_as_usual(api):
    """At the limit the body is read: the token endpoint then names its missing fields."""
    response = api.post("/api/v1/auth/token/", nested(64), content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" not in response.content.decode()


def test_depth_counts_objects_and_lists_alike():
    # object, list, object, list: four levels
    assert not depth_exceeds({"a": [1, {"b": []}]}, 4)
    assert depth_exceeds({"a": [1, {"b": []}]}, 3)
    assert not depth_exceeds("text", 0)
    assert depth_exceeds([[1]] * 3, 1)
    assert MAX_DEPTH == 64
