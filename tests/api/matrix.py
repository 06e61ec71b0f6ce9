"""The permission matrix every register resource answers the same way, and the list
query bound.

A test module describes its resources as `Resource` subclasses and runs the matrix over
them by subclassing `PermissionMatrix`:

    class TestPermissionMatrix(PermissionMatrix):
        resources = (Components(), Dependencies())

Owners and editors create, read, update and delete; every member reads; another team
neither sees nor finds the rows; a viewer (403), another team (404 or a 400 that reveals
nothing) and an anonymous caller (401) are refused, and a refused request changes
nothing in the register.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry.choices import Role
from registry.models import (
    Action,
    Application,
    BusinessFunction,
    Component,
    Dependency,
    FailureMode,
    Step,
)
from tests.factories import MembershipFactory, TeamFactory, UserFactory

REGISTER_MODELS = (
    BusinessFunction,
    Application,
    Application.regions.through,
    Step,
    Component,
    Component.regions.through,
    Dependency,
    FailureMode,
    Action,
)


def snapshot() -> dict:
    """Every register row, to show that a refused request changed nothing."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values()) for model in REGISTER_MODELS
    }


def assert_list_queries_are_flat(api, path: str, rows: int, bound: int, max_queries) -> None:
    """A page of 10 and a page of 500 of `path` (which lists `rows` rows) run the same
    number of queries, at most `bound`. `max_queries` is pytest-django's
    django_assert_max_num_queries."""
    counts = []
    for page_size in (10, 500):
        with max_queries(bound), CaptureQueriesContext(connection) as queries:
            response = api.get(path, {"page_size": page_size})
        assert response.status_code == 200
        assert response.data["count"] == rows
        assert len(response.data["results"]) == min(page_size, rows)
        counts.append(len(queries))
    assert counts[0] == counts[1]


class Resource:
    """One API resource under the matrix: how to make its rows and its request bodies."""

    name: str
    path: str
    model: type
    #: The team-scoped reference a body naming another team's row fails on.
    reference: str = "team"
    #: Whether the matrix tries to move a row to another team (with `moved_to`).
    movable: bool = True
    #: What the refusal to move it says.
    moved_message: str = "cannot move to another team"

    def make(self, team):
        """One of the team's rows."""
        raise NotImplementedError

    def payload(self, team) -> dict:
        """A valid body creating (POST) or replacing (PUT) a row of the team."""
        raise NotImplementedError

    def change(self) -> dict:
        """A valid PATCH body: each key is a column it changes to that value."""
        raise NotImplementedError

    def replacement(self, team) -> dict:
        """A valid PUT body that differs from `payload(team)`."""
        return {**self.payload(team), "name": "Replaced"}

    def assert_replaced(self, row, body: dict) -> None:
        assert row.name == body["name"]

    def moved_to(self, team) -> dict:
        """A PATCH body moving a row to `team`."""
        return {"team": team.pk}

    def url(self, obj=None) -> str:
        return self.path if obj is None else f"{self.path}{obj.pk}/"


def resource_name(resource: Resource) -> str:
    return resource.name


class PermissionMatrix:
    """The matrix over `resources`; a subclass named Test... in a test module runs it."""

    resources: tuple[Resource, ...] = ()

    def pytest_generate_tests(self, metafunc) -> None:
        """pytest's hook, per test of the class: one case per resource."""
        if "resource" in metafunc.fixturenames:
            metafunc.parametrize("resource", self.resources, ids=resource_name)
        if "movable" in metafunc.fixturenames:
            movable = [resource for resource in self.resources if resource.movable]
            metafunc.parametrize("movable", movable, ids=resource_name)

    @pytest.mark.parametrize("persona", ["alice", "bob"])
    def test_owners_and_editors_create_read_update_and_delete(
        self, api, request, resource, team_a, persona
    ):
        api.as_user(request.getfixturevalue(persona))

        response = api.post(resource.url(), resource.payload(team_a))
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

        body = resource.replacement(team_a)
        response = api.put(resource.url(created), body)
        assert response.status_code == 200, response.data
        created.refresh_from_db()
        resource.assert_replaced(created, body)

        response = api.delete(resource.url(created))
        assert response.status_code == 204
        assert not resource.model.objects.filter(pk=created.pk).exists()

    @pytest.mark.parametrize("persona", ["alice", "bob", "victor"])
    def test_members_read_their_teams_rows(self, api, request, resource, team_a, persona):
        obj = resource.make(team_a)
        api.as_user(request.getfixturevalue(persona))
        assert [row["id"] for row in api.get(resource.url()).data["results"]] == [obj.pk]
        response = api.get(resource.url(obj))
        assert response.status_code == 200
        assert response.data["id"] == obj.pk

    def test_another_team_never_sees_the_rows(self, api, resource, team_a, team_b, charlie):
        obj = resource.make(team_a)
        own = resource.make(team_b)
        api.as_user(charlie)
        assert [row["id"] for row in api.get(resource.url()).data["results"]] == [own.pk]
        assert api.get(resource.url(obj)).status_code == 404

    @pytest.mark.parametrize(
        ("persona", "expected"), [("victor", 403), ("charlie", 404), (None, 401)]
    )
    @pytest.mark.parametrize("method", ["patch", "put", "delete"])
    def test_refused_writes_change_nothing(
        self, api, request, resource, team_a, team_b, method, persona, expected
    ):
        """A viewer is refused (403), another team does not find the row (404), and an
        anonymous caller must authenticate (401); the database stays as it was."""
        obj = resource.make(team_a)
        body = {"patch": resource.change(), "put": resource.payload(team_a), "delete": None}
        if persona:
            api.as_user(request.getfixturevalue(persona))
        before = snapshot()
        response = getattr(api, method)(resource.url(obj), body[method])
        assert response.status_code == expected
        assert snapshot() == before

    @pytest.mark.parametrize(
        ("persona", "expected"), [("victor", 403), ("charlie", 400), (None, 401)]
    )
    def test_refused_creates_write_nothing(
        self, api, request, resource, team_a, team_b, persona, expected
    ):
        """Team A's ids in charlie's body read as "does not exist": a 400 that reveals
        nothing."""
        if persona:
            api.as_user(request.getfixturevalue(persona))
        body = resource.payload(team_a)
        before = snapshot()
        response = api.post(resource.url(), body)
        assert response.status_code == expected
        assert snapshot() == before
        if expected == 400:
            assert "does not exist" in str(response.data[resource.reference])

    def test_anonymous_reads_are_refused(self, api, resource, team_a):
        obj = resource.make(team_a)
        assert api.get(resource.url()).status_code == 401
        assert api.get(resource.url(obj)).status_code == 401

    def test_a_row_cannot_move_to_another_team(self, api, movable, team_a, alice):
        """Not even for an owner of both teams: what hangs off the row (steps, failure
        modes, dependencies) would stay behind, linking two registers."""
        team_c = TeamFactory(name="Team C", slug="team-c")
        MembershipFactory(team=team_c, user=alice, role=Role.OWNER)
        obj = movable.make(team_a)
        body = movable.moved_to(team_c)
        before = snapshot()
        response = api.as_user(alice).patch(movable.url(obj), body)
        assert response.status_code == 400
        (message,) = response.json()[next(iter(body))]
        assert movable.moved_message in message
        assert snapshot() == before

    def test_a_superuser_sees_every_team(self, api, resource, team_a, team_b):
        rows = {resource.make(team_a).pk, resource.make(team_b).pk}
        admin = UserFactory(username="root", is_superuser=True, is_staff=True)
        listed = api.as_user(admin).get(resource.url()).data["results"]
        assert {row["id"] for row in listed} == rows
