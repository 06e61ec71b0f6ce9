"""Components and dependencies over the API: CRUD, the permission matrix (every refused
request changes nothing), cross-team references, validation messages, filters, and list
queries that do not grow with the page size."""

import pytest

from registry.choices import ComponentKind, Role
from registry.models import Component, Dependency, Region, Step
from tests.api.matrix import PermissionMatrix, Resource, assert_list_queries_are_flat, snapshot
from tests.factories import (
    ApplicationFactory,
    ComponentFactory,
    DependencyFactory,
    MembershipFactory,
    StepFactory,
    TeamFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]

COMPONENTS = "/api/v1/components/"
DEPENDENCIES = "/api/v1/dependencies/"


def step_of(team, **kwargs) -> Step:
    return StepFactory(application=ApplicationFactory(team=team), **kwargs)


# --- the resources under the permission matrix -------------------------------------


class Components(Resource):
    name = "components"
    path = COMPONENTS
    model = Component

    def make(self, team):
        return ComponentFactory(team=team, name="Orders DB", kind=ComponentKind.DATABASE)

    def payload(self, team) -> dict:
        return {
            "team": team.pk,
            "name": "Payments DB",
            "kind": "database",
            "availability": 99.95,
            "availability_basis": "sla",
            "regions": ["eu-west-1", "eu-central-1"],
        }

    def change(self) -> dict:
        return {"description": "Primary with a read replica"}


class Dependencies(Resource):
    name = "dependencies"
    path = DEPENDENCIES
    model = Dependency
    reference = "component"
    movable = False

    def make(self, team):
        return DependencyFactory(step=step_of(team))

    def payload(self, team) -> dict:
        return {
            "step": step_of(team).pk,
            "component": ComponentFactory(team=team).pk,
            "hard": False,
        }

    def change(self) -> dict:
        return {"hard": False}

    def replacement(self, team) -> dict:
        """Another step and component (a dependency has no name)."""
        return self.payload(team)

    def assert_replaced(self, row, body: dict) -> None:
        assert (row.step_id, row.component_id) == (body["step"], body["component"])


class TestPermissionMatrix(PermissionMatrix):
    resources = (Components(), Dependencies())


# --- components ---------------------------------------------------------------------


def test_a_component_reads_with_region_codes_and_its_application(api, alice, team_a):
    app = ApplicationFactory(team=team_a, name="Checkout")
    component = ComponentFactory(
        team=team_a, name="Checkout service", kind=ComponentKind.APPLICATION, application=app
    )
    component.regions.set(Region.objects.filter(code__in=["us-east-1", "us-west-2"]))
    body = api.as_user(alice).get(f"{COMPONENTS}{component.pk}/").json()
    assert (body["application"], body["application_name"]) == (app.pk, "Checkout")
    assert sorted(body["regions"]) == ["us-east-1", "us-west-2"]
    assert body["availability"] == 99.9
    assert body["kind"] == "application"


@pytest.mark.parametrize("availability", [101, -1, "lots"])
def test_availability_must_be_a_percentage(api, bob, team_a, availability):
    body = Components().payload(team_a)
    body["availability"] = availability
    before = snapshot()
    response = api.as_user(bob).post(COMPONENTS, body)
    assert response.status_code == 400
    assert list(response.data) == ["availability"]
    assert snapshot() == before


def test_patching_availability_out_of_range_changes_nothing(api, bob, team_a):
    component = ComponentFactory(team=team_a)
    before = snapshot()
    response = api.as_user(bob).patch(f"{COMPONENTS}{component.pk}/", {"availability": 101})
    assert response.status_code == 400
    assert "availability" in response.data
    assert snapshot() == before


def test_unknown_kind_and_region_are_400s(api, bob, team_a):
    body = Components().payload(team_a)
    body.update(kind="mainframe", regions=["mars-north-1"])
    before = snapshot()
    response = api.as_user(bob).post(COMPONENTS, body)
    assert response.status_code == 400
    assert {"kind", "regions"} <= set(response.data)
    assert snapshot() == before


def test_a_duplicate_component_name_is_a_400_on_name(api, bob, team_a):
    ComponentFactory(team=team_a, name="Payments DB")
    body = Components().payload(team_a)
    before = snapshot()
    response = api.as_user(bob).post(COMPONENTS, body)
    assert response.status_code == 400
    assert "name" in response.data
    assert snapshot() == before


def test_a_component_linked_to_an_application_is_of_kind_application(api, bob, team_a):
    app = ApplicationFactory(team=team_a)
    body = Components().payload(team_a)
    body["application"] = app.pk
    before = snapshot()
    response = api.as_user(bob).post(COMPONENTS, body)
    assert response.status_code == 400
    assert "application" in response.data
    assert snapshot() == before

    body["kind"] = "application"
    response = api.post(COMPONENTS, body)
    assert response.status_code == 201, response.data
    assert response.data["application_name"] == app.name


def test_charlie_cannot_link_his_component_to_team_as_application(api, charlie, team_a, team_b):
    app = ApplicationFactory(team=team_a)
    before = snapshot()
    response = api.as_user(charlie).post(
        COMPONENTS,
        {"team": team_b.pk, "name": "Their app", "kind": "application", "application": app.pk},
    )
    assert response.status_code == 400
    assert "does not exist" in str(response.data["application"])
    assert snapshot() == before


def test_an_application_of_another_visible_team_is_refused(api, bob, team_a):
    """Bob views team C: he sees its application, but team A's component cannot be it."""
    team_c = TeamFactory(name="Team C", slug="team-c")
    MembershipFactory(team=team_c, user=bob, role=Role.VIEWER)
    app = ApplicationFactory(team=team_c)
    before = snapshot()
    response = api.as_user(bob).post(
        COMPONENTS,
        {"team": team_a.pk, "name": "C's app", "kind": "application", "application": app.pk},
    )
    assert response.status_code == 400
    assert "application" in response.data
    assert snapshot() == before


def test_components_filter_and_order(api, alice, team_a):
    app = ApplicationFactory(team=team_a)
    ComponentFactory(team=team_a, name="Queue", kind=ComponentKind.QUEUE, availability=99)
    ComponentFactory(team=team_a, name="DB", kind=ComponentKind.DATABASE, availability=99.99)
    ComponentFactory(team=team_a, name="App", kind=ComponentKind.APPLICATION, application=app)
    api.as_user(alice)

    def names(**params):
        response = api.get(COMPONENTS, params)
        assert response.status_code == 200, response.data
        return [row["name"] for row in response.data["results"]]

    assert names() == ["App", "DB", "Queue"]
    assert names(kind="queue") == ["Queue"]
    assert names(kind=["queue", "database"]) == ["DB", "Queue"]
    assert names(application=app.pk) == ["App"]
    assert names(team=team_a.pk) == ["App", "DB", "Queue"]
    assert names(ordering="-availability") == ["DB", "App", "Queue"]


# --- dependencies -------------------------------------------------------------------


def test_a_component_can_depend_on_a_component(api, bob, team_a):
    service = ComponentFactory(team=team_a, name="Service")
    database = ComponentFactory(team=team_a, name="Database")
    response = api.as_user(bob).post(
        DEPENDENCIES, {"dependant_component": service.pk, "component": database.pk}
    )
    assert response.status_code == 201, response.data
    assert response.data["dependant_component_name"] == "Service"
    assert response.data["component_name"] == "Database"
    assert (response.data["step"], response.data["step_name"]) == (None, None)
    assert response.data["hard"] is True
    assert response.data["team"] == team_a.pk


def test_charlie_cannot_make_his_step_depend_on_team_as_component(api, charlie, team_a, team_b):
    step = step_of(team_b)
    component = ComponentFactory(team=team_a)
    before = snapshot()
    response = api.as_user(charlie).post(
        DEPENDENCIES, {"step": step.pk, "component": component.pk}
    )
    assert response.status_code == 400
    assert "does not exist" in str(response.data["component"])
    assert snapshot() == before


def test_charlie_cannot_hang_a_dependency_on_team_as_step(api, charlie, team_a, team_b):
    step = step_of(team_a)
    component = ComponentFactory(team=team_b)
    before = snapshot()
    response = api.as_user(charlie).post(
        DEPENDENCIES, {"step": step.pk, "component": component.pk}
    )
    assert response.status_code == 400
    assert "does not exist" in str(response.data["step"])
    assert snapshot() == before


def test_a_step_cannot_depend_on_another_visible_teams_component(api, bob, team_a):
    team_c = TeamFactory(name="Team C", slug="team-c")
    MembershipFactory(team=team_c, user=bob, role=Role.EDITOR)
    step = step_of(team_a)
    component = ComponentFactory(team=team_c)
    before = snapshot()
    response = api.as_user(bob).post(DEPENDENCIES, {"step": step.pk, "component": component.pk})
    assert response.status_code == 400
    assert "component" in response.data
    assert snapshot() == before


@pytest.mark.parametrize("dependants", ["both", "neither"])
def test_a_dependency_has_exactly_one_dependant(api, bob, team_a, dependants):
    step = step_of(team_a)
    service = ComponentFactory(team=team_a)
    database = ComponentFactory(team=team_a)
    body = {"component": database.pk}
    if dependants == "both":
        body.update(step=step.pk, dependant_component=service.pk)
    before = snapshot()
    response = api.as_user(bob).post(DEPENDENCIES, body)
    assert response.status_code == 400
    assert {"step", "dependant_component"} <= set(response.data)
    assert snapshot() == before


def test_patching_in_a_second_dependant_is_refused(api, bob, team_a):
    dependency = DependencyFactory(step=step_of(team_a))
    other = ComponentFactory(team=team_a)
    before = snapshot()
    response = api.as_user(bob).patch(
        f"{DEPENDENCIES}{dependency.pk}/", {"dependant_component": other.pk}
    )
    assert response.status_code == 400
    assert snapshot() == before


def test_a_component_cannot_depend_on_itself(api, bob, team_a):
    component = ComponentFactory(team=team_a)
    before = snapshot()
    response = api.as_user(bob).post(
        DEPENDENCIES, {"dependant_component": component.pk, "component": component.pk}
    )
    assert response.status_code == 400
    assert "component" in response.data
    assert snapshot() == before


def test_a_duplicate_dependency_is_a_400_on_component(api, bob, team_a):
    dependency = DependencyFactory(step=step_of(team_a))
    before = snapshot()
    response = api.as_user(bob).post(
        DEPENDENCIES, {"step": dependency.step_id, "component": dependency.component_id}
    )
    assert response.status_code == 400
    assert "already depends" in str(response.data["component"])
    assert snapshot() == before


def test_dependencies_filter(api, alice, team_a):
    step = step_of(team_a)
    service = ComponentFactory(team=team_a, name="Service")
    database = ComponentFactory(team=team_a, name="Database")
    on_step = DependencyFactory(step=step, component=service, hard=True)
    on_service = DependencyFactory(
        step=None, dependant_component=service, component=database, hard=False
    )
    api.as_user(alice)

    def ids(**params):
        response = api.get(DEPENDENCIES, params)
        assert response.status_code == 200, response.data
        return [row["id"] for row in response.data["results"]]

    assert ids() == [on_step.pk, on_service.pk]
    assert ids(step=step.pk) == [on_step.pk]
    assert ids(dependant_component=service.pk) == [on_service.pk]
    assert ids(component=database.pk) == [on_service.pk]
    assert ids(hard="false") == [on_service.pk]
    assert ids(hard="true") == [on_step.pk]


# --- list queries -------------------------------------------------------------------


def populate(team, rows: int = 35) -> None:
    regions = list(Region.objects.filter(code__in=["eu-west-1", "eu-central-1"]))
    step = step_of(team)
    previous = None
    for index in range(rows):
        app = ApplicationFactory(team=team, name=f"App {index}")
        component = ComponentFactory(
            team=team, name=f"Component {index}", kind=ComponentKind.APPLICATION, application=app
        )
        component.regions.set(regions)
        DependencyFactory(step=step, component=component)
        if previous is not None:
            DependencyFactory(step=None, dependant_component=previous, component=component)
        previous = component


@pytest.mark.parametrize(
    ("path", "rows", "bound"),
    [
        (COMPONENTS, 35, 5),  # queries: count, page, regions, replica and backup copy regions
        (DEPENDENCIES, 35 + 34, 2),  # on the step and along the chain; count, page
    ],
)
def test_list_queries_do_not_grow_with_the_page_size(
    api, alice, team_a, django_assert_max_num_queries, path, rows, bound
):
    populate(team_a)
    assert_list_queries_are_flat(
        api.as_user(alice), path, rows, bound, django_assert_max_num_queries
    )


def test_a_patch_answers_with_every_field(api, bob, team_a):
    """A PATCH answers with the whole component, a null application's name included."""
    component = ComponentFactory(team=team_a, name="Queue", kind=ComponentKind.QUEUE)
    response = api.as_user(bob).patch(
        f"{COMPONENTS}{component.pk}/", {"description": "Order events"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["application"], body["application_name"]) == (None, None)
    assert body["description"] == "Order events"
