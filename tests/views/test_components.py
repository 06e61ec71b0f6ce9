"""Components: the list, which steps depend on each (directly or not), create/edit."""

import pytest

from registry.models import Component
from tests.factories import ComponentFactory, DependencyFactory, StepFactory

pytestmark = pytest.mark.django_db


def test_the_list_shows_kind_availability_and_direct_steps(as_victor, register):
    html = as_victor.get("/components/").content.decode()
    assert "Orders table" in html and "Database" in html and "99.9 %" in html
    assert "Secret B component" not in html


def test_the_list_makes_a_fixed_number_of_queries(as_alice, register, fixed_queries):
    def grow():
        for index in range(29):
            component = ComponentFactory(team=register.app.team)
            DependencyFactory(
                step=StepFactory(application=register.app, order=index + 2), component=component
            )

    assert fixed_queries(as_alice, "/components/", grow) <= 8


def test_the_detail_page_names_the_steps_that_need_it_even_indirectly(as_victor, register):
    """Orders service → Orders table: the step needing the service needs the table too."""
    service = ComponentFactory(team=register.app.team, name="Orders service")
    DependencyFactory(step=None, dependant_component=service, component=register.component)
    confirm = StepFactory(application=register.app, order=2, name="Confirm")
    DependencyFactory(step=confirm, component=service, hard=False)
    html = as_victor.get(f"/components/{register.component.pk}/").content.decode()
    assert "1. Pay" in html and "directly" in html
    assert "2. Confirm" in html and "via Orders service" in html
    assert "Primary database fails" in html


def test_the_detail_page_makes_a_fixed_number_of_queries(as_alice, register, fixed_queries):
    def grow():
        for index in range(29):
            step = StepFactory(application=register.app, order=index + 2)
            DependencyFactory(step=step, component=register.component)

    assert fixed_queries(as_alice, f"/components/{register.component.pk}/", grow) <= 10


def test_an_editor_creates_and_edits_a_component(as_bob, register):
    data = {
        "name": "Payment provider",
        "kind": "third_party",
        "description": "",
        "availability": "99.9",
        "availability_basis": "sla",
        "application": "",
    }
    response = as_bob.post("/components/new/", data)
    created = Component.objects.get(name="Payment provider")
    assert response.status_code == 302 and created.team == register.app.team
    response = as_bob.post(f"/components/{created.pk}/edit/", {**data, "availability": "101"})
    assert response.status_code == 422
    response = as_bob.post(
        f"/components/{created.pk}/edit/", {**data, "application": register.app.pk}
    )
    assert response.status_code == 422
    assert b"Only a component of kind application" in response.content


def test_viewers_and_other_teams(as_victor, as_charlie, register):
    assert as_victor.get("/components/new/").status_code == 403
    assert as_charlie.get(f"/components/{register.component.pk}/").status_code == 404
    assert as_charlie.get(f"/components/{register.component.pk}/edit/").status_code == 404
