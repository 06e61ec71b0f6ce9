"""Business functions: list, create, edit."""

import pytest

from registry.models import BusinessFunction
from tests.factories import BusinessFunctionFactory

pytestmark = pytest.mark.django_db


def test_the_list_is_ordered_by_priority_and_team_scoped(as_victor, register, team_a, team_b):
    BusinessFunctionFactory(team=team_a, name="Analyse clickstream", priority=4)
    BusinessFunctionFactory(team=team_a, name="Process purchases", priority=1)
    BusinessFunctionFactory(team=team_b, name="Secret B function")
    html = as_victor.get("/business-functions/").content.decode()
    assert html.index("Process purchases") < html.index("Analyse clickstream")
    assert "Secret B function" not in html


def test_an_editor_creates_and_edits_one(as_bob, register):
    response = as_bob.post("/business-functions/new/", {"name": "Pay", "priority": "1"})
    assert response.status_code == 302
    function = BusinessFunction.objects.get(name="Pay")
    duplicate = as_bob.post("/business-functions/new/", {"name": "Pay", "priority": "2"})
    assert duplicate.status_code == 422
    response = as_bob.post(
        f"/business-functions/{function.pk}/edit/", {"name": "Pay online", "priority": "1"}
    )
    assert response.status_code == 302


def test_viewers_and_other_teams(as_victor, as_charlie, team_a, register):
    function = BusinessFunctionFactory(team=team_a)
    assert as_victor.post("/business-functions/new/", {"name": "X"}).status_code == 403
    assert as_charlie.get(f"/business-functions/{function.pk}/edit/").status_code == 404


def test_the_list_makes_a_fixed_number_of_queries(as_alice, register, team_a, fixed_queries):
    BusinessFunctionFactory(team=team_a)

    def grow():
        for _ in range(29):
            BusinessFunctionFactory(team=team_a)

    assert fixed_queries(as_alice, "/business-functions/", grow) <= 6
