"""Components and dependencies over the API: CRUD, the permission matrix (every refused
request changes nothing), cross-team references, validation messages, filters, and list
queries that do not grow with the page size."""

from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from registry.choices import ComponentKind, Role
from registry.models import (
    Application,
    BusinessFunction,
    Component,
    Dependency,
    Region,
    Step,
)
from tests.factories import (
    ApplicationFactory,
    ComponentFactory,
    DependencyFactory,
    MembershipFactory,
    StepFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

COMPONENTS = "/api/v1/components/"
DEPENDENCIES = "/api/v1/dependencies/"
REGISTER_MODELS = (
    BusinessFunction,
    Application,
    Application.regions.through,
    Step,
    Component,
    Component.regions.through,
    Dependency,
)


@pytest.fixture(autouse=True)
def reference_data(db):
    call_command("load_reference_data", verbosity=0)


@pytest.fixture
def client():
    return APIClient()


def as_user(client, user):
    client.force_authenticate(user)
    return client


def snapshot() -> dict:
    """Every register row, to show that a refused request changed nothing."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values()) for model in REGISTER_MODELS
    }


def step_of(team, **kwargs) -> Step:
    return StepFactory(application=ApplicationFactory(team=team), **kwargs)


# --- the resources under the generic CRUD and permission tests -----------------------


@dataclass
class Resource:
    name: str
    path: str
    model: type

    def make(self, team):
        """One of the team's rows."""
        if self.name == "components":
            return ComponentFactory(team=team, name="Orders DB", kind=ComponentKind.DATABASE)
        return DependencyFactory(step=step_of(team))

    def payload(self, team) -> dict:
        """A valid body creating (POST) or replacing (PUT) a row of the team."""
        if self.name == "components":
            return {
                "team": team.pk,
                "name": "Payments DB",
                "kind": "database",
                "availability": 99.95,
                "regions": ["eu-west-1", "eu-central-1"],
            }
        return {
            "step": step_of(team).pk,
            "component": ComponentFactory(team=team).pk,
            "hard": False,
        }

    def change(self) -> dict:
        """A valid PATCH body."""
        if self.name == "components":
            return {"description": "Primary with a read replica"}
        return {"hard": False}

    def url(self, obj=None) -> str:
        return self.path if obj is None else f"{self.path}{obj.pk}/"


RESOURCES = [
    Resource("components", COMPONENTS, Component),
    Resource("dependencies", DEPENDENCIES, Dependency),
]


@pytest.fixture(params=RESOURCES, ids=lambda resource: resource.name)
def resource(request):
    return request.param


@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_owners_and_editors_create_read_update_and_delete(
    client, request, resource, team_a, persona
):
    api = as_user(client, request.getfixturevalue(persona))

    body = resource.payload(team_a)
    response = api.post(resource.url(), body)
    assert response.status_code == 201, response.data
    created = resource.model.objects.get(pk=response.data["id"])

    response = api.get(resource.url(created))
    assert response.status_code == 200
    assert response.data["id"] == created.pk
    assert created.pk in [row["id"] for row in api.get(resource.url()).data["results"]]

    change = resource.change()
    response = api.patch(resource.url(created), change)
    assert response.status_code == 200, response.data
    created.refresh_from_db()
    for field, value in change.items():
        assert response.data[field] == value
        assert getattr(created, field) == value

    body = resource.payload(team_a)
    if resource.name == "components":
        body["name"] = "Replaced"
    response = api.put(resource.url(created), body)
    assert response.status_code == 200, response.data
    created.refresh_from_db()
    if resource.name == "dependencies":
        assert (created.step_id, created.component_id) == (body["step"], body["component"])
    else:
        assert created.name == "Replaced"

    response = api.delete(resource.url(created))
    assert response.status_code == 204
    assert not resource.model.objects.filter(pk=created.pk).exists()


@pytest.mark.parametrize("persona", ["alice", "bob", "victor"])
def test_members_read_their_teams_rows(client, request, resource, team_a, persona):
    obj = resource.make(team_a)
    api = as_user(client, request.getfixturevalue(persona))
    ids = [row["id"] for row in api.get(resource.url()).data["results"]]
    assert obj.pk in ids
    response = api.get(resource.url(obj))
    assert response.status_code == 200
    assert response.data["id"] == obj.pk


def test_another_team_never_sees_the_rows(client, resource, team_a, team_b, charlie):
    obj = resource.make(team_a)
    own = resource.make(team_b)
    api = as_user(client, charlie)
    rows = api.get(resource.url()).data["results"]
    assert own.pk in [row["id"] for row in rows]
    assert {row["team"] for row in rows} == {team_b.pk}
    assert api.get(resource.url(obj)).status_code == 404


@pytest.mark.parametrize(("persona", "expected"), [("victor", 403), ("charlie", 404), (None, 401)])
@pytest.mark.parametrize("method", ["patch", "put", "delete"])
def test_refused_writes_change_nothing(
    client, request, resource, team_a, team_b, method, persona, expected
):
    """A viewer is refused (403), another team does not find the row (404), and an
    anonymous caller must authenticate (401); the database stays as it was."""
    obj = resource.make(team_a)
    body = {"patch": resource.change(), "put": resource.payload(team_a), "delete": None}[method]
    if persona:
        as_user(client, request.getfixturevalue(persona))
    before = snapshot()
    response = getattr(client, method)(resource.url(obj), body)
    assert response.status_code == expected
    assert snapshot() == before


@pytest.mark.parametrize(("persona", "expected"), [("victor", 403), ("charlie", 400), (None, 401)])
def test_refused_creates_write_nothing(
    client, request, resource, team_a, team_b, persona, expected
):
    """Team A's ids in charlie's body read as "does not exist": a 400 that reveals
    nothing."""
    if persona:
        as_user(client, request.getfixturevalue(persona))
    body = resource.payload(team_a)
    before = snapshot()
    response = client.post(resource.url(), body)
    assert response.status_code == expected
    assert snapshot() == before
    if expected == 400:
        reference = "team" if resource.name == "components" else "component"
        assert "does not exist" in str(response.data[reference])


def test_anonymous_reads_are_refused(client, resource, team_a):
    obj = resource.make(team_a)
    assert client.get(resource.url()).status_code == 401
    assert client.get(resource.url(obj)).status_code == 401


def test_a_superuser_sees_every_team(client, resource, team_a, team_b):
    rows = {resource.make(team_a).pk, resource.make(team_b).pk}
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    listed = {row["id"] for row in as_user(client, admin).get(resource.url()).data["results"]}
    assert rows <= listed


# --- components ---------------------------------------------------------------------


def test_a_component_reads_with_region_codes_and_its_application(client, alice, team_a):
    app = ApplicationFactory(team=team_a, name="Checkout")
    component = ComponentFactory(
        team=team_a, name="Checkout service", kind=ComponentKind.APPLICATION, application=app
    )
    component.regions.set(Region.objects.filter(code__in=["us-east-1", "us-west-2"]))
    body = as_user(client, alice).get(f"{COMPONENTS}{component.pk}/").json()
    assert (body["application"], body["application_name"]) == (app.pk, "Checkout")
    assert sorted(body["regions"]) == ["us-east-1", "us-west-2"]
    assert body["availability"] == 99.9
    assert body["kind"] == "application"


@pytest.mark.parametrize("availability", [101, -1, "lots"])
def test_availability_must_be_a_percentage(client, bob, team_a, availability):
    body = Resource("components", COMPONENTS, Component).payload(team_a)
    body["availability"] = availability
    before = snapshot()
    response = as_user(client, bob).post(COMPONENTS, body)
    assert response.status_code == 400
    assert list(response.data) == ["availability"]
    assert snapshot() == before


def test_patching_availability_out_of_range_changes_nothing(client, bob, team_a):
    component = ComponentFactory(team=team_a)
    before = snapshot()
    response = as_user(client, bob).patch(f"{COMPONENTS}{component.pk}/", {"availability": 101})
    assert response.status_code == 400
    assert "availability" in response.data
    assert snapshot() == before


def test_unknown_kind_and_region_are_400s(client, bob, team_a):
    body = Resource("components", COMPONENTS, Component).payload(team_a)
    body.update(kind="mainframe", regions=["mars-north-1"])
    before = snapshot()
    response = as_user(client, bob).post(COMPONENTS, body)
    assert response.status_code == 400
    assert {"kind", "regions"} <= set(response.data)
    assert snapshot() == before


def test_a_duplicate_component_name_is_a_400_on_name(client, bob, team_a):
    ComponentFactory(team=team_a, name="Payments DB")
    body = Resource("components", COMPONENTS, Component).payload(team_a)
    before = snapshot()
    response = as_user(client, bob).post(COMPONENTS, body)
    assert response.status_code == 400
    assert "name" in response.data
    assert snapshot() == before


def test_a_component_linked_to_an_application_is_of_kind_application(client, bob, team_a):
    app = ApplicationFactory(team=team_a)
    body = Resource("components", COMPONENTS, Component).payload(team_a)
    body["application"] = app.pk
    before = snapshot()
    response = as_user(client, bob).post(COMPONENTS, body)
    assert response.status_code == 400
    assert "application" in response.data
    assert snapshot() == before

    body["kind"] = "application"
    response = client.post(COMPONENTS, body)
    assert response.status_code == 201, response.data
    assert response.data["application_name"] == app.name


def test_charlie_cannot_link_his_component_to_team_as_application(client, charlie, team_a, team_b):
    app = ApplicationFactory(team=team_a)
    before = snapshot()
    response = as_user(client, charlie).post(
        COMPONENTS,
        {"team": team_b.pk, "name": "Their app", "kind": "application", "application": app.pk},
    )
    assert response.status_code == 400
    assert "does not exist" in str(response.data["application"])
    assert snapshot() == before


def test_an_application_of_another_visible_team_is_refused(client, bob, team_a):
    """Bob views team C: he sees its application, but team A's component cannot be it."""
    team_c = TeamFactory(name="Team C", slug="team-c")
    MembershipFactory(team=team_c, user=bob, role=Role.VIEWER)
    app = ApplicationFactory(team=team_c)
    before = snapshot()
    response = as_user(client, bob).post(
        COMPONENTS,
        {"team": team_a.pk, "name": "C's app", "kind": "application", "application": app.pk},
    )
    assert response.status_code == 400
    assert "application" in response.data
    assert snapshot() == before


def test_moving_a_component_needs_the_write_role_in_the_new_team(client, bob, team_a):
    team_c = TeamFactory(name="Team C", slug="team-c")
    MembershipFactory(team=team_c, user=bob, role=Role.VIEWER)
    component = ComponentFactory(team=team_a)
    before = snapshot()
    response = as_user(client, bob).patch(f"{COMPONENTS}{component.pk}/", {"team": team_c.pk})
    assert response.status_code == 403
    assert snapshot() == before


def test_components_filter_and_order(client, alice, team_a):
    app = ApplicationFactory(team=team_a)
    ComponentFactory(team=team_a, name="Queue", kind=ComponentKind.QUEUE, availability=99)
    ComponentFactory(team=team_a, name="DB", kind=ComponentKind.DATABASE, availability=99.99)
    ComponentFactory(team=team_a, name="App", kind=ComponentKind.APPLICATION, application=app)
    api = as_user(client, alice)

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


def test_a_component_can_depend_on_a_component(client, bob, team_a):
    service = ComponentFactory(team=team_a, name="Service")
    database = ComponentFactory(team=team_a, name="Database")
    response = as_user(client, bob).post(
        DEPENDENCIES, {"dependant_component": service.pk, "component": database.pk}
    )
    assert response.status_code == 201, response.data
    assert response.data["dependant_component_name"] == "Service"
    assert response.data["component_name"] == "Database"
    assert (response.data["step"], response.data["step_name"]) == (None, None)
    assert response.data["hard"] is True
    assert response.data["team"] == team_a.pk


def test_charlie_cannot_make_his_step_depend_on_team_as_component(client, charlie, team_a, team_b):
    step = step_of(team_b)
    component = ComponentFactory(team=team_a)
    before = snapshot()
    response = as_user(client, charlie).post(
        DEPENDENCIES, {"step": step.pk, "component": component.pk}
    )
    assert response.status_code == 400
    assert "does not exist" in str(response.data["component"])
    assert snapshot() == before


def test_charlie_cannot_hang_a_dependency_on_team_as_step(client, charlie, team_a, team_b):
    step = step_of(team_a)
    component = ComponentFactory(team=team_b)
    before = snapshot()
    response = as_user(client, charlie).post(
        DEPENDENCIES, {"step": step.pk, "component": component.pk}
    )
    assert response.status_code == 400
    assert "does not exist" in str(response.data["step"])
    assert snapshot() == before


def test_a_step_cannot_depend_on_another_visible_teams_component(client, bob, team_a):
    team_c = TeamFactory(name="Team C", slug="team-c")
    MembershipFactory(team=team_c, user=bob, role=Role.EDITOR)
    step = step_of(team_a)
    component = ComponentFactory(team=team_c)
    before = snapshot()
    response = as_user(client, bob).post(
        DEPENDENCIES, {"step": step.pk, "component": component.pk}
    )
    assert response.status_code == 400
    assert "component" in response.data
    assert snapshot() == before


@pytest.mark.parametrize("dependants", ["both", "neither"])
def test_a_dependency_has_exactly_one_dependant(client, bob, team_a, dependants):
    step = step_of(team_a)
    service = ComponentFactory(team=team_a)
    database = ComponentFactory(team=team_a)
    body = {"component": database.pk}
    if dependants == "both":
        body.update(step=step.pk, dependant_component=service.pk)
    before = snapshot()
    response = as_user(client, bob).post(DEPENDENCIES, body)
    assert response.status_code == 400
    assert {"step", "dependant_component"} <= set(response.data)
    assert snapshot() == before


def test_patching_in_a_second_dependant_is_refused(client, bob, team_a):
    dependency = DependencyFactory(step=step_of(team_a))
    other = ComponentFactory(team=team_a)
    before = snapshot()
    response = as_user(client, bob).patch(
        f"{DEPENDENCIES}{dependency.pk}/", {"dependant_component": other.pk}
    )
    assert response.status_code == 400
    assert snapshot() == before


def test_a_component_cannot_depend_on_itself(client, bob, team_a):
    component = ComponentFactory(team=team_a)
    before = snapshot()
    response = as_user(client, bob).post(
        DEPENDENCIES, {"dependant_component": component.pk, "component": component.pk}
    )
    assert response.status_code == 400
    assert "component" in response.data
    assert snapshot() == before


def test_a_duplicate_dependency_is_a_400_on_component(client, bob, team_a):
    dependency = DependencyFactory(step=step_of(team_a))
    before = snapshot()
    response = as_user(client, bob).post(
        DEPENDENCIES, {"step": dependency.step_id, "component": dependency.component_id}
    )
    assert response.status_code == 400
    assert "already depends" in str(response.data["component"])
    assert snapshot() == before


def test_dependencies_filter(client, alice, team_a):
    step = step_of(team_a)
    service = ComponentFactory(team=team_a, name="Service")
    database = ComponentFactory(team=team_a, name="Database")
    on_step = DependencyFactory(step=step, component=service, hard=True)
    on_service = DependencyFactory(
        step=None, dependant_component=service, component=database, hard=False
    )
    api = as_user(client, alice)

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
    ("path", "bound"),
    [
        (COMPONENTS, 3),  # count, page, regions
        (DEPENDENCIES, 2),  # count, page
    ],
)
def test_list_queries_do_not_grow_with_the_page_size(
    client, alice, team_a, django_assert_max_num_queries, path, bound
):
    populate(team_a)
    api = as_user(client, alice)
    counts = []
    for page_size in (10, 500):
        with (
            django_assert_max_num_queries(bound),
            CaptureQueriesContext(connection) as queries,
        ):
            response = api.get(path, {"page_size": page_size})
        assert response.status_code == 200
        assert len(response.data["results"]) == min(page_size, response.data["count"])
        assert response.data["count"] >= 35
        counts.append(len(queries))
    assert counts[0] == counts[1]
