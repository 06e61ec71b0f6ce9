"""Business functions, applications and steps over the API: CRUD, the permission matrix
(every refused request changes nothing), cross-team references, validation messages,
filters, and list queries that do not grow with the page size."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from registry.api import applications as api_module
from registry.choices import Role
from registry.filtersets import (
    ApplicationFilterSet,
    BusinessFunctionFilterSet,
    ComponentFilterSet,
    DependencyFilterSet,
    StepFilterSet,
)
from registry.models import (
    Application,
    BusinessFunction,
    Component,
    Dependency,
    DrStrategy,
    Region,
    Step,
    Tier,
)
from tests.factories import (
    ApplicationFactory,
    BusinessFunctionFactory,
    FailureModeFactory,
    MembershipFactory,
    StepFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

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


def tier(level: int) -> Tier:
    return Tier.objects.get(level=level)


def application(team, **kwargs) -> Application:
    kwargs.setdefault("tier", tier(1))
    kwargs.setdefault("dr_strategy", DrStrategy.objects.get(code="active_active"))
    return ApplicationFactory(team=team, **kwargs)


# --- the resources under the generic CRUD and permission tests -----------------------


@dataclass
class Resource:
    name: str
    path: str
    model: type

    def make(self, team):
        """One of the team's rows."""
        if self.name == "business-functions":
            return BusinessFunctionFactory(team=team, name="Take payments", priority=1)
        if self.name == "applications":
            return application(team, name="Shop", owner="Web team")
        return StepFactory(application=application(team), order=1, name="Browse")

    def payload(self, team) -> dict:
        """A valid body creating (POST) or replacing (PUT) a row of the team."""
        if self.name == "business-functions":
            return {"team": team.pk, "name": "Ship orders", "description": "", "priority": 2}
        if self.name == "applications":
            return {
                "team": team.pk,
                "name": "Checkout",
                "tier": tier(2).pk,
                "dr_strategy": "warm_standby",
                "regions": ["eu-west-1", "eu-central-1"],
                "data_residency": "EU",
                "owner": "Payments",
            }
        return {"application": application(team).pk, "order": 2, "name": "Pay"}

    def change(self) -> dict:
        """A valid PATCH body and the column it changes."""
        if self.name == "business-functions":
            return {"priority": 5}
        if self.name == "applications":
            return {"owner": "Platform team"}
        return {"name": "Browse the catalogue"}

    def url(self, obj=None) -> str:
        return self.path if obj is None else f"{self.path}{obj.pk}/"


RESOURCES = [
    Resource("business-functions", "/api/v1/business-functions/", BusinessFunction),
    Resource("applications", "/api/v1/applications/", Application),
    Resource("steps", "/api/v1/steps/", Step),
]


@pytest.fixture(params=RESOURCES, ids=lambda resource: resource.name)
def resource(request):
    return request.param


@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_owners_and_editors_create_read_update_and_delete(
    client, request, resource, team_a, persona
):
    user = request.getfixturevalue(persona)
    api = as_user(client, user)

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

    body = resource.payload(team_a)
    body["name"] = "Replaced"
    response = api.put(resource.url(created), body)
    assert response.status_code == 200, response.data
    created.refresh_from_db()
    assert created.name == "Replaced"

    response = api.delete(resource.url(created))
    assert response.status_code == 204
    assert not resource.model.objects.filter(pk=created.pk).exists()


@pytest.mark.parametrize("persona", ["alice", "bob", "victor"])
def test_members_read_their_teams_rows(client, request, resource, team_a, persona):
    obj = resource.make(team_a)
    api = as_user(client, request.getfixturevalue(persona))
    assert [row["id"] for row in api.get(resource.url()).data["results"]] == [obj.pk]
    response = api.get(resource.url(obj))
    assert response.status_code == 200
    assert response.data["id"] == obj.pk


def test_another_team_never_sees_the_rows(client, resource, team_a, team_b, charlie):
    obj = resource.make(team_a)
    own = resource.make(team_b)
    api = as_user(client, charlie)
    assert [row["id"] for row in api.get(resource.url()).data["results"]] == [own.pk]
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
    """Team A's id in charlie's body reads as "does not exist": a 400 that reveals
    nothing."""
    if persona:
        as_user(client, request.getfixturevalue(persona))
    body = resource.payload(team_a)
    before = snapshot()
    response = client.post(resource.url(), body)
    assert response.status_code == expected
    assert snapshot() == before
    if expected == 400:
        reference = "application" if resource.name == "steps" else "team"
        assert "does not exist" in str(response.data[reference])


def test_anonymous_reads_are_refused(client, resource, team_a):
    obj = resource.make(team_a)
    assert client.get(resource.url()).status_code == 401
    assert client.get(resource.url(obj)).status_code == 401


def test_moving_a_row_needs_the_write_role_in_the_new_team(client, resource, team_a, bob):
    """Bob edits team A but only views team C: he cannot move a row into team C."""
    team_c = TeamFactory(name="Team C", slug="team-c")
    MembershipFactory(team=team_c, user=bob, role=Role.VIEWER)
    obj = resource.make(team_a)
    if resource.name == "steps":
        body = {"application": application(team_c).pk}
    else:
        body = {"team": team_c.pk}
    before = snapshot()
    response = as_user(client, bob).patch(resource.url(obj), body)
    assert response.status_code == 403
    assert snapshot() == before


def test_a_superuser_sees_every_team(client, resource, team_a, team_b):
    rows = {resource.make(team_a).pk, resource.make(team_b).pk}
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert {row["id"] for row in as_user(client, admin).get(resource.url()).data["results"]} == (
        rows
    )


# --- business functions -------------------------------------------------------------


def test_a_duplicate_business_function_name_is_a_400_on_name(client, alice, team_a):
    BusinessFunctionFactory(team=team_a, name="Take payments")
    before = snapshot()
    response = as_user(client, alice).post(
        "/api/v1/business-functions/", {"team": team_a.pk, "name": "Take payments"}
    )
    assert response.status_code == 400
    assert "name" in response.data
    assert snapshot() == before


def test_business_functions_filter_by_team(client, team_a, team_b):
    admin = UserFactory(username="root", is_superuser=True)
    BusinessFunctionFactory(team=team_a, name="A")
    BusinessFunctionFactory(team=team_b, name="B")
    response = as_user(client, admin).get("/api/v1/business-functions/", {"team": team_b.pk})
    assert [row["name"] for row in response.data["results"]] == ["B"]


# --- applications -------------------------------------------------------------------


def test_an_application_reads_with_its_references_and_risk_numbers(client, alice, team_a):
    function = BusinessFunctionFactory(team=team_a, name="Take payments")
    app = application(team_a, name="Checkout", business_function=function, tier=tier(2))
    app.regions.set(Region.objects.filter(code__in=["eu-west-1", "eu-central-1"]))
    step = StepFactory(application=app)
    FailureModeFactory(step=step, severity=9, probability=5, detectability=4)
    FailureModeFactory(step=StepFactory(application=app), severity=2)

    body = as_user(client, alice).get(f"/api/v1/applications/{app.pk}/").json()
    assert body["team"] == team_a.pk
    assert body["business_function"] == function.pk
    assert body["business_function_name"] == "Take payments"
    assert (body["tier"], body["tier_level"]) == (tier(2).pk, 2)
    assert body["dr_strategy"] == "active_active"
    assert sorted(body["regions"]) == ["eu-central-1", "eu-west-1"]
    assert body["data_residency"] is None
    assert (body["failure_mode_count"], body["max_rpn"]) == (2, 180)


def test_creating_an_application_stores_references_by_code(client, bob, team_a):
    response = as_user(client, bob).post(
        "/api/v1/applications/",
        {
            "team": team_a.pk,
            "name": "Checkout",
            "tier": tier(1).pk,
            "dr_strategy": "pilot_light",
            "regions": ["us-east-1", "us-west-2"],
            "data_residency": None,
        },
    )
    assert response.status_code == 201, response.data
    assert response.data["data_residency"] is None
    assert (response.data["failure_mode_count"], response.data["max_rpn"]) == (0, None)
    assert response.data["tier_level"] == 1
    app = Application.objects.get(pk=response.data["id"])
    assert app.data_residency == ""
    assert app.dr_strategy.code == "pilot_light"
    assert sorted(app.regions.values_list("code", flat=True)) == ["us-east-1", "us-west-2"]

    response = as_user(client, bob).patch(
        f"/api/v1/applications/{app.pk}/", {"data_residency": "US", "regions": []}
    )
    assert response.status_code == 200, response.data
    assert (response.data["data_residency"], response.data["regions"]) == ("US", [])
    app.refresh_from_db()
    assert (app.data_residency, app.regions.count()) == ("US", 0)


@pytest.mark.parametrize(
    ("field", "value"),
    [("dr_strategy", "teleport"), ("regions", ["mars-north-1"]), ("tier", 999)],
)
def test_unknown_references_are_a_400(client, alice, team_a, field, value):
    body = Resource("applications", "/api/v1/applications/", Application).payload(team_a)
    body[field] = value
    before = snapshot()
    response = as_user(client, alice).post("/api/v1/applications/", body)
    assert response.status_code == 400
    assert field in response.data
    assert snapshot() == before


def test_a_duplicate_application_name_in_a_team_is_a_400_not_a_500(
    client, alice, charlie, team_a, team_b
):
    existing = application(team_a, name="Checkout")
    body = {
        "team": team_a.pk,
        "name": "Checkout",
        "tier": tier(1).pk,
        "dr_strategy": "pilot_light",
    }
    before = snapshot()
    response = as_user(client, alice).post("/api/v1/applications/", body)
    assert response.status_code == 400
    assert "already has an application" in str(response.data["name"])
    assert snapshot() == before

    other = application(team_a, name="Basket")
    response = client.patch(f"/api/v1/applications/{other.pk}/", {"name": "Checkout"})
    assert response.status_code == 400
    assert "name" in response.data
    assert client.patch(
        f"/api/v1/applications/{existing.pk}/", {"name": "Checkout"}
    ).status_code == (200)

    # Another team may use the same name.
    body["team"] = team_b.pk
    assert as_user(client, charlie).post("/api/v1/applications/", body).status_code == 201


def test_another_teams_business_function_is_refused(client, charlie, team_a, team_b):
    """Charlie's application in team B cannot point at team A's business function."""
    function = BusinessFunctionFactory(team=team_a)
    before = snapshot()
    response = as_user(client, charlie).post(
        "/api/v1/applications/",
        {
            "team": team_b.pk,
            "business_function": function.pk,
            "name": "Checkout",
            "tier": tier(1).pk,
            "dr_strategy": "pilot_light",
        },
    )
    assert response.status_code == 400
    assert "does not exist" in str(response.data["business_function"])
    assert snapshot() == before


def test_a_business_function_of_a_team_one_only_views_is_refused(client, bob, team_a):
    """Bob views team C: he sees its business function, but team A's application cannot
    use it."""
    team_c = TeamFactory(name="Team C", slug="team-c")
    MembershipFactory(team=team_c, user=bob, role=Role.VIEWER)
    app = application(team_a)
    function = BusinessFunctionFactory(team=team_c)
    before = snapshot()
    response = as_user(client, bob).patch(
        f"/api/v1/applications/{app.pk}/", {"business_function": function.pk}
    )
    assert response.status_code == 400
    assert "business_function" in response.data
    assert snapshot() == before


def test_applications_filter_and_order(client, alice, team_a):
    pay = BusinessFunctionFactory(team=team_a, name="Pay")
    warm = DrStrategy.objects.get(code="warm_standby")
    checkout = application(team_a, name="Checkout", business_function=pay, dr_strategy=warm)
    reports = application(team_a, name="Reports", tier=tier(3))
    FailureModeFactory(step=StepFactory(application=reports), severity=9, probability=9)
    api = as_user(client, alice)

    def names(**params):
        response = api.get("/api/v1/applications/", params)
        assert response.status_code == 200, response.data
        return [row["name"] for row in response.data["results"]]

    assert names() == ["Checkout", "Reports"]
    assert names(tier=3) == ["Reports"]
    assert names(business_function=pay.pk) == ["Checkout"]
    assert names(dr_strategy="warm_standby") == ["Checkout"]
    assert names(q="port") == ["Reports"]
    assert names(team=team_a.pk) == ["Checkout", "Reports"]
    assert names(ordering="-max_rpn") == ["Reports", "Checkout"]
    assert names(ordering="-tier_level") == ["Reports", "Checkout"]
    assert checkout.pk


# --- steps --------------------------------------------------------------------------


def test_a_step_inherits_or_tightens_its_tiers_objectives(client, bob, team_a):
    app = application(team_a, tier=tier(2))  # RTO 28800 s, RPO 14400 s, 99.9 %
    api = as_user(client, bob)
    response = api.post("/api/v1/steps/", {"application": app.pk, "order": 1, "name": "Browse"})
    assert response.status_code == 201, response.data
    assert response.data["effective_rto_seconds"] == 28800
    assert response.data["effective_rpo_seconds"] == 14400
    assert Decimal(str(response.data["effective_availability_target"])) == Decimal("99.9")
    assert (response.data["application_name"], response.data["tier_level"]) == (app.name, 2)

    response = api.post(
        "/api/v1/steps/",
        {
            "application": app.pk,
            "order": 2,
            "name": "Pay",
            "rto_seconds": 600,
            "availability_target": "99.99",
        },
    )
    assert response.status_code == 201, response.data
    assert response.data["effective_rto_seconds"] == 600
    assert response.data["effective_rpo_seconds"] == 14400
    assert Decimal(str(response.data["effective_availability_target"])) == Decimal("99.99")


@pytest.mark.parametrize(
    ("field", "value"),
    [("rto_seconds", 30000), ("rpo_seconds", 20000), ("availability_target", "99.5")],
)
def test_a_step_cannot_relax_its_tiers_objectives(client, bob, team_a, field, value):
    app = application(team_a, tier=tier(2))
    before = snapshot()
    response = as_user(client, bob).post(
        "/api/v1/steps/", {"application": app.pk, "order": 1, "name": "Pay", field: value}
    )
    assert response.status_code == 400
    assert list(response.data) == [field]
    assert snapshot() == before


def test_patching_a_step_checks_its_objectives_too(client, bob, team_a):
    step = StepFactory(application=application(team_a, tier=tier(1)))
    before = snapshot()
    response = as_user(client, bob).patch(f"/api/v1/steps/{step.pk}/", {"rto_seconds": 7201})
    assert response.status_code == 400
    assert "rto_seconds" in response.data
    assert snapshot() == before


def test_a_duplicate_step_order_is_a_400_on_order(client, bob, team_a):
    step = StepFactory(application=application(team_a), order=1)
    before = snapshot()
    response = as_user(client, bob).post(
        "/api/v1/steps/", {"application": step.application_id, "order": 1, "name": "Again"}
    )
    assert response.status_code == 400
    assert "order" in response.data
    assert snapshot() == before


def test_charlie_cannot_add_a_step_to_team_as_application(client, charlie, team_a, team_b):
    app = application(team_a)
    before = snapshot()
    response = as_user(client, charlie).post(
        "/api/v1/steps/", {"application": app.pk, "order": 9, "name": "Sneak in"}
    )
    assert response.status_code == 400
    assert "does not exist" in str(response.data["application"])
    assert snapshot() == before


def test_steps_filter_by_application_and_team(client, alice, team_a, team_b):
    first = application(team_a, name="First")
    second = application(team_a, name="Second")
    StepFactory(application=first, name="One")
    StepFactory(application=second, name="Two")
    api = as_user(client, alice)
    response = api.get("/api/v1/steps/", {"application": second.pk})
    assert [row["name"] for row in response.data["results"]] == ["Two"]
    assert len(api.get("/api/v1/steps/", {"team": team_a.pk}).data["results"]) == 2
    assert api.get("/api/v1/steps/", {"team": team_b.pk}).data["results"] == []


@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_editors_mark_a_step_reviewed(client, request, team_a, persona):
    user = request.getfixturevalue(persona)
    step = StepFactory(application=application(team_a))
    response = as_user(client, user).post(f"/api/v1/steps/{step.pk}/mark-reviewed/")
    assert response.status_code == 200, response.data
    step.refresh_from_db()
    assert step.last_reviewed_by == user
    assert step.last_reviewed_at is not None
    assert response.data["last_reviewed_by"] == user.pk
    assert response.data["effective_rto_seconds"] == 7200


@pytest.mark.parametrize(("persona", "expected"), [("victor", 403), ("charlie", 404), (None, 401)])
def test_marking_reviewed_is_refused_without_the_write_role(
    client, request, team_a, team_b, persona, expected
):
    step = StepFactory(application=application(team_a))
    if persona:
        as_user(client, request.getfixturevalue(persona))
    before = snapshot()
    response = client.post(f"/api/v1/steps/{step.pk}/mark-reviewed/")
    assert response.status_code == expected
    assert snapshot() == before


# --- list queries -------------------------------------------------------------------


def populate(team, rows: int = 35) -> None:
    regions = list(Region.objects.filter(code__in=["eu-west-1", "eu-central-1"]))
    for index in range(rows):
        function = BusinessFunctionFactory(team=team, name=f"Function {index}")
        app = application(team, name=f"App {index}", business_function=function)
        app.regions.set(regions)
        step = StepFactory(application=app, order=1)
        FailureModeFactory(step=step)
        FailureModeFactory(step=step, severity=9)


@pytest.mark.parametrize(
    ("path", "bound"),
    [
        ("/api/v1/business-functions/", 2),  # count, page
        ("/api/v1/applications/", 3),  # count, page, regions
        ("/api/v1/steps/", 2),  # count, page
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
        assert len(response.data["results"]) == min(page_size, 35)
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- documentation ------------------------------------------------------------------

SERIALIZERS = [
    api_module.BusinessFunctionSerializer,
    api_module.ApplicationSerializer,
    api_module.StepSerializer,
    api_module.ComponentSerializer,
    api_module.DependencySerializer,
]
FILTERSETS = [
    BusinessFunctionFilterSet,
    ApplicationFilterSet,
    StepFilterSet,
    ComponentFilterSet,
    DependencyFilterSet,
]


@pytest.mark.parametrize("serializer_class", SERIALIZERS, ids=lambda cls: cls.__name__)
def test_every_serializer_field_has_help_text(serializer_class):
    fields = serializer_class().get_fields()
    assert "__all__" not in serializer_class.Meta.fields
    missing = [name for name, field in fields.items() if not field.help_text]
    assert missing == []


@pytest.mark.parametrize("filterset_class", FILTERSETS, ids=lambda cls: cls.__name__)
def test_every_filter_has_help_text(filterset_class):
    assert filterset_class.__doc__
    missing = [
        name
        for name, declared in filterset_class.base_filters.items()
        if not declared.extra.get("help_text")
    ]
    assert missing == []
