"""Each rule answers the same through every interface: the API, the browser forms and
the admin refuse the same writes, with the same message on the same field, and save
nothing. (The rules live on the models; these tests hold the interfaces to them.)"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from registry.choices import ComponentKind
from registry.models import (
    Application,
    BusinessFunction,
    Component,
    Dependency,
    Membership,
    Step,
)
from tests.factories import (
    ApplicationFactory,
    BusinessFunctionFactory,
    ComponentFactory,
    DependencyFactory,
    StepFactory,
)

pytestmark = pytest.mark.django_db

LOOP = "This would close a loop: Orders DB → Cache → Orders DB."


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def browser_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def admin_add(model) -> str:
    return reverse(f"admin:registry_{model._meta.model_name}_add")


def admin_change(obj) -> str:
    return reverse(f"admin:registry_{obj._meta.model_name}_change", args=[obj.pk])


def no_inlines(*prefixes: str) -> dict:
    """The management form of empty admin inlines."""
    return {
        f"{prefix}-{name}": 0 for prefix in prefixes for name in ("TOTAL_FORMS", "INITIAL_FORMS")
    }


def edges() -> list[tuple]:
    return list(
        Dependency.objects.order_by("pk").values_list(
            "step_id", "dependant_component_id", "component_id"
        )
    )


@pytest.fixture
def world(team_a, alice, bob):
    """Team A's register: an application with one step needing the Orders DB, and a
    Cache that needs the Orders DB."""
    application = ApplicationFactory(team=team_a, name="Checkout")
    step = StepFactory(application=application, order=1, name="Pay")
    orders = ComponentFactory(team=team_a, name="Orders DB", kind=ComponentKind.DATABASE)
    cache = ComponentFactory(team=team_a, name="Cache", kind=ComponentKind.SERVICE)
    DependencyFactory(step=step, component=orders)
    DependencyFactory(step=None, dependant_component=cache, component=orders)
    return SimpleNamespace(
        team=team_a,
        application=application,
        step=step,
        orders=orders,
        cache=cache,
        function=BusinessFunctionFactory(team=team_a, name="Take orders"),
        api=api_as(bob),
        browser=browser_as(bob),
    )


# --- dependency loops ------------------------------------------------------------------


def test_the_api_refuses_a_loop_with_its_path(world):
    """Cache → Orders DB exists: Orders DB → Cache is 400 on `component`, naming the loop."""
    before = edges()
    response = world.api.post(
        "/api/v1/dependencies/",
        {"dependant_component": world.orders.pk, "component": world.cache.pk},
    )
    assert response.status_code == 400
    assert response.json() == {"component": [LOOP]}
    assert edges() == before


def test_the_api_refuses_the_second_half_of_a_loop_it_just_accepted(world):
    """A → B is 201; B → A, which the API used to accept too, is 400."""
    queue = ComponentFactory(team=world.team, name="Queue")
    worker = ComponentFactory(team=world.team, name="Worker")
    first = world.api.post(
        "/api/v1/dependencies/", {"dependant_component": queue.pk, "component": worker.pk}
    )
    assert first.status_code == 201
    second = world.api.post(
        "/api/v1/dependencies/", {"dependant_component": worker.pk, "component": queue.pk}
    )
    assert second.status_code == 400
    assert second.json() == {"component": ["This would close a loop: Worker → Queue → Worker."]}


def test_a_loop_closed_after_validation_is_refused_as_it_saves(world):
    """Two writers at once: this edge was validated before another writer committed
    the edge that makes it a loop. The save checks again under the team's lock and
    stores nothing."""
    edge = Dependency(dependant_component=world.orders, component=world.cache)
    # Cache → Orders DB, committed by the other writer, is in the world already.
    before = edges()
    with pytest.raises(ValidationError) as refused:
        edge.save()
    assert refused.value.message_dict == {"component": [LOOP]}
    assert edges() == before


def test_the_api_answers_a_loop_found_as_it_saves_with_a_400(world, monkeypatch):
    """The same race through the API (validation that ran before the other writer
    committed is simulated by skipping it): a 400 naming the loop, not a 500."""
    monkeypatch.setattr(Dependency, "clean", lambda self: None)
    before = edges()
    response = world.api.post(
        "/api/v1/dependencies/",
        {"dependant_component": world.orders.pk, "component": world.cache.pk},
    )
    assert response.status_code == 400
    assert response.json() == {"component": [LOOP]}
    assert edges() == before


def test_a_longer_loop_is_named_along_its_shortest_path(world):
    """Orders DB → Disk → Network exist, and Cache → Orders DB: Network → Cache closes
    Network → Cache → Orders DB → Disk → Network."""
    disk = ComponentFactory(team=world.team, name="Disk")
    network = ComponentFactory(team=world.team, name="Network")
    DependencyFactory(step=None, dependant_component=world.orders, component=disk)
    DependencyFactory(step=None, dependant_component=disk, component=network)
    response = world.api.post(
        "/api/v1/dependencies/", {"dependant_component": network.pk, "component": world.cache.pk}
    )
    assert response.status_code == 400
    assert response.json() == {
        "component": ["This would close a loop: Network → Cache → Orders DB → Disk → Network."]
    }


def test_patching_an_edge_into_a_loop_is_refused_and_an_edge_is_not_its_own_loop(world):
    queue = ComponentFactory(team=world.team, name="Queue")
    edge = DependencyFactory(step=None, dependant_component=world.orders, component=queue)
    url = f"/api/v1/dependencies/{edge.pk}/"
    refused = world.api.patch(url, {"component": world.cache.pk})
    assert refused.status_code == 400
    assert refused.json() == {"component": [LOOP]}
    assert world.api.patch(url, {"hard": False}).status_code == 200
    edge.refresh_from_db()
    assert (edge.component_id, edge.hard) == (queue.pk, False)


def test_a_step_dependency_closes_no_loop(world):
    """Steps are not components: a step needing the Cache is no loop."""
    response = world.api.post(
        "/api/v1/dependencies/", {"step": world.step.pk, "component": world.cache.pk}
    )
    assert response.status_code == 201, response.json()


def test_the_browser_form_refuses_a_loop_with_its_path(world):
    before = edges()
    response = world.browser.post(
        f"/components/{world.orders.pk}/dependencies/new/",
        {"component": world.cache.pk, "hard": "True"},
    )
    assert response.status_code == 422
    assert response.context["form"].errors == {"component": [LOOP]}
    assert edges() == before


def test_the_admin_refuses_a_loop_with_its_path(world, admin_client):
    before = edges()
    response = admin_client.post(
        admin_add(Dependency),
        {"dependant_component": world.orders.pk, "component": world.cache.pk, "hard": "on"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"component": [LOOP]}
    assert edges() == before


def test_the_admins_component_page_refuses_a_loop_in_its_inline(world, admin_client):
    before = edges()
    response = admin_client.post(
        admin_change(world.orders),
        {
            "team": world.team.pk,
            "name": "Orders DB",
            "kind": ComponentKind.DATABASE,
            "description": "",
            "availability": "99.9",
            "availability_basis": "sla",
            "dependencies-TOTAL_FORMS": 1,
            "dependencies-INITIAL_FORMS": 0,
            "dependencies-0-component": world.cache.pk,
            "dependencies-0-hard": "on",
        },
    )
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.errors == [{"component": [LOOP]}]
    assert edges() == before


# --- one message per uniqueness rule -----------------------------------------------------

UNIQUE_NAME = "Your team already has {} of this name."


def business_function_case(world) -> dict:
    values = {"name": "Take orders", "description": "", "priority": 3}
    return {
        "model": BusinessFunction,
        "field": "name",
        "message": UNIQUE_NAME.format("a business function"),
        "api": ("/api/v1/business-functions/", {"team": world.team.pk, **values}),
        "browser": ("/business-functions/new/", values),
        "admin": {"team": world.team.pk, **values},
    }


def application_case(world) -> dict:
    tier, strategy = world.application.tier, world.application.dr_strategy
    values = {"name": "Checkout", "description": "", "owner": "", "data_residency": ""}
    return {
        "model": Application,
        "field": "name",
        "message": UNIQUE_NAME.format("an application"),
        "api": (
            "/api/v1/applications/",
            {"team": world.team.pk, "tier": tier.pk, "dr_strategy": strategy.code, **values},
        ),
        "browser": (
            "/applications/new/",
            {"tier": tier.pk, "dr_strategy": strategy.pk, "business_function": "", **values},
        ),
        "admin": {
            "team": world.team.pk,
            "tier": tier.pk,
            "dr_strategy": strategy.pk,
            **values,
            **no_inlines("steps"),
        },
    }


def step_case(world) -> dict:
    values = {"order": 1, "name": "Pay again", "description": ""}
    return {
        "model": Step,
        "field": "order",
        "message": "The application already has a step at this order.",
        "api": ("/api/v1/steps/", {"application": world.application.pk, **values}),
        "browser": (f"/applications/{world.application.pk}/steps/new/", values),
        "admin": {
            "application": world.application.pk,
            **values,
            **no_inlines("dependencies", "failure_modes"),
        },
    }


def component_case(world) -> dict:
    values = {
        "name": "Cache",
        "kind": "queue",
        "description": "",
        "availability": "99.9",
        "availability_basis": "sla",
    }
    return {
        "model": Component,
        "field": "name",
        "message": UNIQUE_NAME.format("a component"),
        "api": ("/api/v1/components/", {"team": world.team.pk, **values}),
        "browser": ("/components/new/", {**values, "application": ""}),
        "admin": {"team": world.team.pk, **values, **no_inlines("dependencies")},
    }


def step_dependency_case(world) -> dict:
    return {
        "model": Dependency,
        "field": "component",
        "message": "The step already depends on this component.",
        "api": ("/api/v1/dependencies/", {"step": world.step.pk, "component": world.orders.pk}),
        "browser": (
            f"/steps/{world.step.pk}/dependencies/new/",
            {"component": world.orders.pk, "hard": "True"},
        ),
        "admin": {"step": world.step.pk, "component": world.orders.pk, "hard": "on"},
    }


def component_dependency_case(world) -> dict:
    pair = {"dependant_component": world.cache.pk, "component": world.orders.pk}
    return {
        "model": Dependency,
        "field": "component",
        "message": "The component already depends on this component.",
        "api": ("/api/v1/dependencies/", pair),
        "browser": (
            f"/components/{world.cache.pk}/dependencies/new/",
            {"component": world.orders.pk, "hard": "True"},
        ),
        "admin": {**pair, "hard": "on"},
    }


UNIQUENESS = [
    business_function_case,
    application_case,
    step_case,
    component_case,
    step_dependency_case,
    component_dependency_case,
]


def rows(model) -> int:
    return model._default_manager.count()


@pytest.mark.parametrize("case", UNIQUENESS, ids=lambda case: case.__name__)
def test_a_duplicate_has_one_message_through_the_api(world, case):
    case = case(world)
    before = rows(case["model"])
    url, body = case["api"]
    response = world.api.post(url, body)
    assert response.status_code == 400
    assert response.json() == {case["field"]: [case["message"]]}
    assert rows(case["model"]) == before


@pytest.mark.parametrize("case", UNIQUENESS, ids=lambda case: case.__name__)
def test_a_duplicate_has_one_message_in_the_browser(world, case):
    case = case(world)
    before = rows(case["model"])
    url, data = case["browser"]
    response = world.browser.post(url, data)
    assert response.status_code == 422
    assert response.context["form"].errors == {case["field"]: [case["message"]]}
    assert case["message"].encode() in response.content
    assert rows(case["model"]) == before


@pytest.mark.parametrize("case", UNIQUENESS, ids=lambda case: case.__name__)
def test_a_duplicate_has_one_message_in_the_admin(world, case, admin_client):
    case = case(world)
    before = rows(case["model"])
    response = admin_client.post(admin_add(case["model"]), case["admin"])
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {case["field"]: [case["message"]]}
    assert rows(case["model"]) == before


def test_a_second_membership_has_one_message_in_the_api_and_the_admin(
    world, alice, bob, admin_client
):
    """There is no browser page for members: the API (owners invite) and the admin."""
    message = "This user is already a member of the team."
    before = rows(Membership)
    response = api_as(alice).post(
        "/api/v1/invitations/", {"team": world.team.pk, "username": "bob", "role": "owner"}
    )
    assert response.status_code == 400
    assert response.json() == {"username": [message]}
    response = admin_client.post(
        admin_add(Membership), {"team": world.team.pk, "user": bob.pk, "role": "owner"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"user": [message]}
    assert rows(Membership) == before


# --- a component linked to an application is of kind application ----------------------

KIND = "Only a component of kind application can be linked to an application."


def test_the_component_kind_rule_has_one_message_everywhere(world, admin_client):
    values = {
        "name": "Checkout service",
        "kind": "service",
        "description": "",
        "availability": "99.9",
        "availability_basis": "sla",
        "application": world.application.pk,
    }
    before = rows(Component)

    api = world.api.post("/api/v1/components/", {"team": world.team.pk, **values})
    assert api.status_code == 400
    assert api.json() == {"application": [KIND]}

    browser = world.browser.post("/components/new/", values)
    assert browser.status_code == 422
    assert browser.context["form"].errors == {"application": [KIND]}

    admin = admin_client.post(
        admin_add(Component), {"team": world.team.pk, **values, **no_inlines("dependencies")}
    )
    assert admin.status_code == 200
    assert admin.context["adminform"].form.errors == {"application": [KIND]}
    assert rows(Component) == before

    accepted = world.api.post(
        "/api/v1/components/", {"team": world.team.pk, **values, "kind": "application"}
    )
    assert accepted.status_code == 201, accepted.json()
