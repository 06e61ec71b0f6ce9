"""Business functions, applications and steps over the API: CRUD, the permission matrix
(every refused request changes nothing), cross-team references, validation messages,
filters, and list queries that do not grow with the page size."""

from decimal import Decimal

import pytest
from django.db.models import UniqueConstraint

from registry.api.applications import ApplicationSerializer
from registry.api.business_functions import BusinessFunctionSerializer
from registry.api.components import ComponentSerializer
from registry.api.dependencies import DependencySerializer
from registry.api.steps import StepSerializer
from registry.choices import Role
from registry.filtersets import (
    ApplicationFilterSet,
    BusinessFunctionFilterSet,
    ComponentFilterSet,
    DependencyFilterSet,
    StepFilterSet,
)
from registry.models import Application, BusinessFunction, DrStrategy, Region, Step, Tier
from tests.api.matrix import PermissionMatrix, Resource, assert_list_queries_are_flat, snapshot
from tests.factories import (
    ApplicationFactory,
    BusinessFunctionFactory,
    FailureModeFactory,
    MembershipFactory,
    StepFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]


def tier(level: int) -> Tier:
    return Tier.objects.get(level=level)


def application(team, **kwargs) -> Application:
    kwargs.setdefault("tier", tier(1))
    kwargs.setdefault("dr_strategy", DrStrategy.objects.get(code="active_active"))
    return ApplicationFactory(team=team, **kwargs)


# --- the resources under the permission matrix -------------------------------------


class BusinessFunctions(Resource):
    name = "business-functions"
    path = "/api/v1/business-functions/"
    model = BusinessFunction

    def make(self, team):
        return BusinessFunctionFactory(team=team, name="Take payments", priority=1)

    def payload(self, team) -> dict:
        return {"team": team.pk, "name": "Ship orders", "description": "", "priority": 2}

    def change(self) -> dict:
        return {"priority": 5}


class Applications(Resource):
    name = "applications"
    path = "/api/v1/applications/"
    model = Application

    def make(self, team):
        return application(team, name="Shop", owner="Web team")

    def payload(self, team) -> dict:
        return {
            "team": team.pk,
            "name": "Checkout",
            "tier": tier(2).pk,
            "dr_strategy": "warm_standby",
            "regions": ["eu-west-1", "eu-central-1"],
            "data_residency": "EU",
            "owner": "Payments",
        }

    def change(self) -> dict:
        return {"owner": "Platform team"}


class Steps(Resource):
    name = "steps"
    path = "/api/v1/steps/"
    model = Step
    reference = "application"

    def make(self, team):
        return StepFactory(application=application(team), order=1, name="Browse")

    def payload(self, team) -> dict:
        return {"application": application(team).pk, "order": 2, "name": "Pay"}

    def change(self) -> dict:
        return {"name": "Browse the catalogue"}

    def moved_to(self, team) -> dict:
        return {"application": application(team).pk}


class TestPermissionMatrix(PermissionMatrix):
    resources = (BusinessFunctions(), Applications(), Steps())


# --- business functions -------------------------------------------------------------


def test_a_duplicate_business_function_name_is_a_400_on_name(api, alice, team_a):
    BusinessFunctionFactory(team=team_a, name="Take payments")
    before = snapshot()
    response = api.as_user(alice).post(
        "/api/v1/business-functions/", {"team": team_a.pk, "name": "Take payments"}
    )
    assert response.status_code == 400
    assert "name" in response.data
    assert snapshot() == before


def test_business_functions_filter_by_team(api, team_a, team_b):
    admin = UserFactory(username="root", is_superuser=True)
    BusinessFunctionFactory(team=team_a, name="A")
    BusinessFunctionFactory(team=team_b, name="B")
    response = api.as_user(admin).get("/api/v1/business-functions/", {"team": team_b.pk})
    assert [row["name"] for row in response.data["results"]] == ["B"]


# --- applications -------------------------------------------------------------------


def test_an_application_reads_with_its_references_and_risk_numbers(api, alice, team_a):
    function = BusinessFunctionFactory(team=team_a, name="Take payments")
    app = application(team_a, name="Checkout", business_function=function, tier=tier(2))
    app.regions.set(Region.objects.filter(code__in=["eu-west-1", "eu-central-1"]))
    step = StepFactory(application=app)
    FailureModeFactory(step=step, severity=9, probability=5, detectability=4)
    FailureModeFactory(step=StepFactory(application=app), severity=2)

    body = api.as_user(alice).get(f"/api/v1/applications/{app.pk}/").json()
    assert body["team"] == team_a.pk
    assert body["business_function"] == function.pk
    assert body["business_function_name"] == "Take payments"
    assert (body["tier"], body["tier_level"]) == (tier(2).pk, 2)
    assert body["dr_strategy"] == "active_active"
    assert sorted(body["regions"]) == ["eu-central-1", "eu-west-1"]
    assert body["data_residency"] is None
    assert (body["failure_mode_count"], body["max_rpn"]) == (2, 180)


def test_creating_an_application_stores_references_by_code(api, bob, team_a):
    response = api.as_user(bob).post(
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

    response = api.as_user(bob).patch(
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
def test_unknown_references_are_a_400(api, alice, team_a, field, value):
    body = Applications().payload(team_a)
    body[field] = value
    before = snapshot()
    response = api.as_user(alice).post("/api/v1/applications/", body)
    assert response.status_code == 400
    assert field in response.data
    assert snapshot() == before


def test_a_duplicate_application_name_in_a_team_is_a_400_not_a_500(
    api, alice, charlie, team_a, team_b
):
    existing = application(team_a, name="Checkout")
    body = {
        "team": team_a.pk,
        "name": "Checkout",
        "tier": tier(1).pk,
        "dr_strategy": "pilot_light",
    }
    before = snapshot()
    response = api.as_user(alice).post("/api/v1/applications/", body)
    assert response.status_code == 400
    assert "already has an application" in str(response.data["name"])
    assert snapshot() == before

    other = application(team_a, name="Basket")
    response = api.patch(f"/api/v1/applications/{other.pk}/", {"name": "Checkout"})
    assert response.status_code == 400
    assert "name" in response.data
    response = api.patch(f"/api/v1/applications/{existing.pk}/", {"name": "Checkout"})
    assert response.status_code == 200

    # Another team may use the same name.
    body["team"] = team_b.pk
    assert api.as_user(charlie).post("/api/v1/applications/", body).status_code == 201


def test_another_teams_business_function_is_refused(api, charlie, team_a, team_b):
    """Charlie's application in team B cannot point at team A's business function."""
    function = BusinessFunctionFactory(team=team_a)
    before = snapshot()
    response = api.as_user(charlie).post(
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


def test_a_business_function_of_a_team_one_only_views_is_refused(api, bob, team_a):
    """Bob views team C: he sees its business function, but team A's application cannot
    use it."""
    team_c = TeamFactory(name="Team C", slug="team-c")
    MembershipFactory(team=team_c, user=bob, role=Role.VIEWER)
    app = application(team_a)
    function = BusinessFunctionFactory(team=team_c)
    before = snapshot()
    response = api.as_user(bob).patch(
        f"/api/v1/applications/{app.pk}/", {"business_function": function.pk}
    )
    assert response.status_code == 400
    assert "business_function" in response.data
    assert snapshot() == before


def test_applications_filter_and_order(api, alice, team_a):
    pay = BusinessFunctionFactory(team=team_a, name="Pay")
    warm = DrStrategy.objects.get(code="warm_standby")
    checkout = application(team_a, name="Checkout", business_function=pay, dr_strategy=warm)
    reports = application(team_a, name="Reports", tier=tier(3))
    FailureModeFactory(step=StepFactory(application=reports), severity=9, probability=9)
    api.as_user(alice)

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


def test_a_step_inherits_or_tightens_its_tiers_objectives(api, bob, team_a):
    app = application(team_a, tier=tier(2))  # RTO 28800 s, RPO 14400 s, 99.9 %
    api.as_user(bob)
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
def test_a_step_looser_than_its_tier_without_a_reason_is_a_400(api, bob, team_a, field, value):
    """Tier 2 (RTO 8 h, RPO 4 h, 99.9 %): a looser objective needs `objective_reason`;
    with one, the step is stored and says which objective is looser."""
    app = application(team_a, tier=tier(2))
    before = snapshot()
    body = {"application": app.pk, "order": 1, "name": "Nightly batch", field: value}
    response = api.as_user(bob).post("/api/v1/steps/", body)
    assert response.status_code == 400
    assert list(response.data) == ["objective_reason"]
    assert "looser than Tier 2" in response.data["objective_reason"][0]
    assert snapshot() == before
    reason = "Runs at night; the shop opens at nine."
    response = api.as_user(bob).post("/api/v1/steps/", {**body, "objective_reason": reason})
    assert response.status_code == 201
    assert response.data["objective_reason"] == reason
    assert response.data["looser_than_tier"] == [
        field.removesuffix("_seconds").removesuffix("_target")
    ]


def test_patching_a_step_looser_checks_the_reason_too(api, bob, team_a):
    """Tier 1's RTO is 2 h: 7201 s is looser and needs a reason."""
    step = StepFactory(application=application(team_a, tier=tier(1)))
    before = snapshot()
    response = api.as_user(bob).patch(f"/api/v1/steps/{step.pk}/", {"rto_seconds": 7201})
    assert response.status_code == 400
    assert "objective_reason" in response.data
    assert snapshot() == before


def test_a_duplicate_step_order_is_a_400_on_order(api, bob, team_a):
    step = StepFactory(application=application(team_a), order=1)
    before = snapshot()
    response = api.as_user(bob).post(
        "/api/v1/steps/", {"application": step.application_id, "order": 1, "name": "Again"}
    )
    assert response.status_code == 400
    assert "order" in response.data
    assert snapshot() == before


def test_charlie_cannot_add_a_step_to_team_as_application(api, charlie, team_a, team_b):
    app = application(team_a)
    before = snapshot()
    response = api.as_user(charlie).post(
        "/api/v1/steps/", {"application": app.pk, "order": 9, "name": "Sneak in"}
    )
    assert response.status_code == 400
    assert "does not exist" in str(response.data["application"])
    assert snapshot() == before


def test_steps_filter_by_application_and_team(api, alice, team_a, team_b):
    first = application(team_a, name="First")
    second = application(team_a, name="Second")
    StepFactory(application=first, name="One")
    StepFactory(application=second, name="Two")
    api.as_user(alice)
    response = api.get("/api/v1/steps/", {"application": second.pk})
    assert [row["name"] for row in response.data["results"]] == ["Two"]
    assert len(api.get("/api/v1/steps/", {"team": team_a.pk}).data["results"]) == 2
    assert api.get("/api/v1/steps/", {"team": team_b.pk}).data["results"] == []


@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_editors_mark_a_step_reviewed(api, request, team_a, persona):
    user = request.getfixturevalue(persona)
    step = StepFactory(application=application(team_a))
    response = api.as_user(user).post(f"/api/v1/steps/{step.pk}/mark-reviewed/")
    assert response.status_code == 200, response.data
    step.refresh_from_db()
    assert step.last_reviewed_by == user
    assert step.last_reviewed_at is not None
    assert response.data["last_reviewed_by"] == user.pk
    assert response.data["effective_rto_seconds"] == 7200


@pytest.mark.parametrize(("persona", "expected"), [("victor", 403), ("charlie", 404), (None, 401)])
def test_marking_reviewed_is_refused_without_the_write_role(
    api, request, team_a, team_b, persona, expected
):
    step = StepFactory(application=application(team_a))
    if persona:
        api.as_user(request.getfixturevalue(persona))
    before = snapshot()
    response = api.post(f"/api/v1/steps/{step.pk}/mark-reviewed/")
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
    api, alice, team_a, django_assert_max_num_queries, path, bound
):
    populate(team_a)
    assert_list_queries_are_flat(
        api.as_user(alice), path, 35, bound, django_assert_max_num_queries
    )


# --- documentation ------------------------------------------------------------------

SERIALIZERS = [
    BusinessFunctionSerializer,
    ApplicationSerializer,
    StepSerializer,
    ComponentSerializer,
    DependencySerializer,
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


@pytest.mark.parametrize("serializer_class", SERIALIZERS, ids=lambda cls: cls.__name__)
def test_every_unique_constraint_is_answered_on_a_field_of_the_resource(serializer_class):
    """Each unique constraint has its own message and names the field it is shown on:
    one the resource takes, so that the 400 says which input to correct."""
    model = serializer_class.Meta.model
    prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
    for constraint in model._meta.constraints:
        if not isinstance(constraint, UniqueConstraint):
            continue
        assert constraint.violation_error_message, constraint.name
        fields = model.constraint_fields[constraint.name.removeprefix(prefix)]
        assert set(fields) <= set(serializer_class.Meta.fields), constraint.name


@pytest.mark.parametrize("filterset_class", FILTERSETS, ids=lambda cls: cls.__name__)
def test_every_filter_has_help_text(filterset_class):
    assert filterset_class.__doc__
    missing = [
        name
        for name, declared in filterset_class.base_filters.items()
        if not declared.extra.get("help_text")
    ]
    assert missing == []


def test_a_step_cannot_move_to_another_teams_application(api, alice, team_a):
    team_c = TeamFactory(name="Team C", slug="team-c")
    MembershipFactory(team=team_c, user=alice, role=Role.OWNER)
    step = StepFactory(application=ApplicationFactory(team=team_a))
    failure_mode = FailureModeFactory(step=step)
    elsewhere = ApplicationFactory(team=team_c)
    response = api.as_user(alice).patch(f"/api/v1/steps/{step.pk}/", {"application": elsewhere.pk})
    assert response.status_code == 400
    assert "cannot move to another team" in response.json()["application"][0]
    step.refresh_from_db()
    failure_mode.refresh_from_db()
    assert step.application.team_id == failure_mode.team_id == team_a.pk
