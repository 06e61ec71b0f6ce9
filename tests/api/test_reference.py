"""Reference data over the API: read by everyone signed in, changed by staff only."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.forms.models import model_to_dict

from registry.models import DrStrategy, FailureModeTemplate, RatingScale, Region, Tier
from tests.factories import ApplicationFactory, ComponentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def reference_data(db):
    cache.clear()
    call_command("load_reference_data", verbosity=0)
    yield
    cache.clear()


@pytest.fixture
def staff(db):
    return UserFactory(username="stella", is_staff=True)


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_superuser=True)


@pytest.fixture
def everyone(alice, bob, victor, charlie, staff, root):
    return {
        "alice": alice,
        "bob": bob,
        "victor": victor,
        "charlie": charlie,
        "staff": staff,
        "root": root,
    }


# Per resource: URL, model, how a row is addressed in the URL, a new valid row, and a
# valid change.
RESOURCES = {
    "tiers": (
        "/api/v1/tiers/",
        Tier,
        "pk",
        {
            "level": 9,
            "name": "Tier 9 - experiments",
            "description": "Nothing depends on it.",
            "rto_seconds": 7 * 86400,
            "rpo_seconds": 86400,
            "availability_target": 95.5,
            "rpn_threshold": 400,
            "review_interval_days": 365,
            "disasters_excluded": True,
        },
        {"availability_target": 99.95},
    ),
    "regions": (
        "/api/v1/regions/",
        Region,
        "code",
        {"code": "xx-test-1", "name": "Test region", "country": "IE"},
        {"name": "Renamed region"},
    ),
    "dr-strategies": (
        "/api/v1/dr-strategies/",
        DrStrategy,
        "code",
        {
            "code": "cold_site",
            "name": "Cold site",
            "cost_rank": 99,
            "best_rto_seconds": 86400,
            "best_rpo_seconds": 86400,
            "multi_region": False,
            "summary": "Hardware on order.",
        },
        {"summary": "Changed."},
    ),
    "rating-scales": (
        "/api/v1/rating-scales/",
        RatingScale,
        "pk",
        None,  # every (scale, rating) pair exists already; created after a delete
        {"label": "Relabelled"},
    ),
    "failure-mode-templates": (
        "/api/v1/failure-mode-templates/",
        FailureModeTemplate,
        "pk",
        {
            "component_kind": "queue",
            "failure_category": "excessive_load",
            "mode": "Poison message blocks the queue",
            "effect": "Orders wait",
            "cause": "A message the consumer cannot handle is retried forever",
            "prevention_controls": "Dead-letter queue after 5 attempts",
            "detection_controls": "Queue age alarm",
            "severity": 6,
            "probability": 4,
            "detectability": 3,
        },
        {"severity": 7},
    ),
}
NAMES = list(RESOURCES)


def rows(model) -> list[dict]:
    return [model_to_dict(row) for row in model.objects.order_by("pk")]


def detail_url(name: str, row) -> str:
    url, _, lookup, _, _ = RESOURCES[name]
    return f"{url}{getattr(row, lookup)}/"


def new_row(name: str) -> dict:
    payload = RESOURCES[name][3]
    if payload is None:  # rating scales: free a slot first
        row = RatingScale.objects.get(scale="severity", rating=10)
        row.delete()
        payload = {"scale": "severity", "rating": 10, "label": "Worst", "description": "Fatal"}
    return dict(payload)


# --- The permission matrix -------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("username", ["alice", "bob", "victor", "charlie", "staff", "root"])
def test_every_signed_in_user_reads_reference_data(api, everyone, name, username):
    url, model, *_ = RESOURCES[name]
    api.as_user(everyone[username])
    response = api.get(url, {"page_size": 1000})
    assert response.status_code == 200
    assert response.json()["count"] == model.objects.count() > 0
    first = model.objects.order_by(*model._meta.ordering).first()
    assert response.json()["results"][0]["id"] == first.pk
    assert api.get(detail_url(name, first)).json()["id"] == first.pk


@pytest.mark.parametrize("name", NAMES)
def test_anonymous_gets_401_on_reference_data(api, name):
    url, model, _, payload, change = RESOURCES[name]
    row = model.objects.first()
    before = rows(model)
    assert api.get(url).status_code == 401
    assert api.get(detail_url(name, row)).status_code == 401
    assert api.post(url, payload or {}).status_code == 401
    assert api.patch(detail_url(name, row), change).status_code == 401
    assert api.delete(detail_url(name, row)).status_code == 401
    assert rows(model) == before


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("username", ["alice", "bob", "victor", "charlie"])
def test_only_staff_change_reference_data(api, everyone, name, username):
    url, model, _, payload, change = RESOURCES[name]
    row = model.objects.last()
    before = rows(model)
    api.as_user(everyone[username])
    assert api.post(url, payload or {"label": "x"}).status_code == 403
    assert api.patch(detail_url(name, row), change).status_code == 403
    put = api.put(detail_url(name, row), {**api.get(detail_url(name, row)).json(), **change})
    assert put.status_code == 403
    assert api.delete(detail_url(name, row)).status_code == 403
    assert rows(model) == before


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("username", ["staff", "root"])
def test_staff_create_change_and_delete_reference_data(api, everyone, name, username):
    url, model, _, _, change = RESOURCES[name]
    api.as_user(everyone[username])
    payload = new_row(name)

    created = api.post(url, payload)
    assert created.status_code == 201, created.data
    body = created.json()
    assert {key: body[key] for key in payload} == payload
    row = model.objects.get(pk=body["id"])

    changed = api.patch(detail_url(name, row), change)
    assert changed.status_code == 200, changed.data
    assert {key: changed.json()[key] for key in change} == change
    row.refresh_from_db()
    for key, value in change.items():
        stored = getattr(row, key)
        assert (float(stored) if isinstance(stored, Decimal) else stored) == value

    assert api.delete(detail_url(name, row)).status_code == 204
    assert not model.objects.filter(pk=row.pk).exists()


# --- Validation ------------------------------------------------------------------------


def test_tier_availability_is_a_percentage_number(api, staff):
    api.as_user(staff)
    tier_1 = api.get("/api/v1/tiers/", {"level": 1}).json()["results"][0]
    assert tier_1["availability_target"] == 99.999
    assert tier_1["rto_seconds"] == 7200

    payload = {**RESOURCES["tiers"][3], "availability_target": 100.5}
    response = api.post("/api/v1/tiers/", payload)
    assert response.status_code == 400
    assert "availability_target" in response.json()


@pytest.mark.parametrize(
    ("name", "change", "field"),
    [
        ("tiers", {"level": 2}, "level"),
        ("tiers", {"rpn_threshold": 1001}, "rpn_threshold"),
        ("tiers", {"review_interval_days": 0}, "review_interval_days"),
        ("tiers", {"level": 0}, "level"),
        ("regions", {"code": "not a slug"}, "code"),
        ("regions", {"code": "eu-west-1"}, "code"),
        ("dr-strategies", {"cost_rank": 2}, "cost_rank"),
        ("rating-scales", {"rating": 11}, "rating"),
        ("rating-scales", {"scale": "impact"}, "scale"),
        ("failure-mode-templates", {"severity": 0}, "severity"),
        ("failure-mode-templates", {"component_kind": "mainframe"}, "component_kind"),
        ("failure-mode-templates", {"failure_category": "bad_luck"}, "failure_category"),
    ],
)
def test_invalid_changes_are_refused_field_by_field(api, staff, name, change, field):
    _, model, *_ = RESOURCES[name]
    row = model.objects.order_by(*model._meta.ordering).first()
    before = rows(model)
    response = api.as_user(staff).patch(detail_url(name, row), change)
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert rows(model) == before


def test_a_rating_is_defined_once_per_scale(api, staff):
    before = rows(RatingScale)
    payload = {"scale": "severity", "rating": 3, "label": "Again", "description": "Again"}
    response = api.as_user(staff).post("/api/v1/rating-scales/", payload)
    assert response.status_code == 400
    assert rows(RatingScale) == before


def test_a_tier_in_use_cannot_be_deleted(api, staff, team_a):
    tier = Tier.objects.get(level=1)
    ApplicationFactory(team=team_a, tier=tier, dr_strategy=DrStrategy.objects.first())
    response = api.as_user(staff).delete(f"/api/v1/tiers/{tier.pk}/")
    assert response.status_code == 409
    assert "still used" in response.json()["detail"]
    assert Tier.objects.filter(pk=tier.pk).exists()


def test_a_dr_strategy_in_use_cannot_be_deleted(api, staff, team_a):
    strategy = DrStrategy.objects.get(code="pilot_light")
    ApplicationFactory(team=team_a, tier=Tier.objects.first(), dr_strategy=strategy)
    assert api.as_user(staff).delete("/api/v1/dr-strategies/pilot_light/").status_code == 409
    assert DrStrategy.objects.filter(pk=strategy.pk).exists()


@pytest.mark.parametrize("used_by", ["application", "component"])
def test_a_region_in_use_cannot_be_deleted(api, staff, team_a, used_by):
    region = Region.objects.get(code="eu-west-1")
    if used_by == "application":
        user = ApplicationFactory(
            team=team_a, tier=Tier.objects.first(), dr_strategy=DrStrategy.objects.first()
        )
    else:
        user = ComponentFactory(team=team_a)
    user.regions.add(region)
    response = api.as_user(staff).delete("/api/v1/regions/eu-west-1/")
    assert response.status_code == 409
    assert "still used" in response.json()["detail"]
    assert list(user.regions.all()) == [region]


# --- Lookups and filters ---------------------------------------------------------------


def test_regions_and_dr_strategies_are_addressed_by_code(api, victor):
    api.as_user(victor)
    region = api.get("/api/v1/regions/eu-west-1/").json()
    assert (region["code"], region["country"], region["jurisdictions"]) == (
        "eu-west-1",
        "IE",
        ["IE", "EU", "EEA"],
    )
    strategy = api.get("/api/v1/dr-strategies/active_active/").json()
    assert strategy["multi_region"] is True
    assert api.get("/api/v1/regions/nowhere-1/").status_code == 404


def test_regions_filter_by_jurisdiction(api, victor):
    """`?jurisdiction=eu` lists the regions inside the EU: the shipped Irish, German,
    French and Swedish ones, not London (GB)."""
    results = api.as_user(victor).get("/api/v1/regions/", {"jurisdiction": "eu"}).json()
    codes = {row["code"] for row in results["results"]}
    assert {"eu-west-1", "eu-central-1", "eu-west-3", "eu-north-1"} <= codes
    assert "eu-west-2" not in codes and "us-east-1" not in codes
    assert all("EU" in row["jurisdictions"] for row in results["results"])


def test_a_region_with_an_unknown_country_is_a_400_listing_the_codes(api, staff):
    """A country code is the vocabulary: "Europe" is refused with the accepted codes."""
    before = Region.objects.count()
    response = api.as_user(staff).post(
        "/api/v1/regions/", {"code": "xx-test-2", "name": "Test", "country": "Europe"}
    )
    assert response.status_code == 400
    assert "IE" in str(response.data["country"]) and "US" in str(response.data["country"])
    assert Region.objects.count() == before


def test_dr_strategies_come_cheapest_first(api, victor):
    results = api.as_user(victor).get("/api/v1/dr-strategies/").json()["results"]
    assert [row["code"] for row in results] == [
        "backup_restore",
        "pilot_light",
        "warm_standby",
        "active_active",
    ]
    assert [row["cost_rank"] for row in results] == sorted(row["cost_rank"] for row in results)


def test_rating_scales_filter_by_scale(api, victor):
    response = api.as_user(victor).get("/api/v1/rating-scales/", {"scale": "detectability"})
    results = response.json()["results"]
    assert [row["rating"] for row in results] == list(range(1, 11))
    assert {row["scale"] for row in results} == {"detectability"}
    assert api.get("/api/v1/rating-scales/", {"scale": "impact"}).status_code == 400


def test_templates_for_a_component_kind_include_those_for_any_component(api, victor):
    api.as_user(victor)
    database = api.get(
        "/api/v1/failure-mode-templates/", {"component_kind": "database", "page_size": 1000}
    ).json()
    kinds = {row["component_kind"] for row in database["results"]}
    assert kinds == {"database", "any"}
    assert (
        database["count"]
        == FailureModeTemplate.objects.filter(component_kind__in=["database", "any"]).count()
    )

    only_any = api.get("/api/v1/failure-mode-templates/", {"component_kind": "any"}).json()
    assert only_any["count"] == FailureModeTemplate.objects.filter(component_kind="any").count()


def test_templates_filter_by_failure_category(api, victor):
    response = api.as_user(victor).get(
        "/api/v1/failure-mode-templates/",
        {"failure_category": ["shared_fate", "excessive_load"], "page_size": 1000},
    )
    categories = {row["failure_category"] for row in response.json()["results"]}
    assert categories == {"shared_fate", "excessive_load"}
    assert (
        response.json()["count"]
        == FailureModeTemplate.objects.filter(
            failure_category__in=["shared_fate", "excessive_load"]
        ).count()
    )


# --- Query counts ----------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_list_queries_do_not_grow_with_the_page(api, victor, name, django_assert_max_num_queries):
    url, model, *_ = RESOURCES[name]
    api.as_user(victor)
    for page_size in (10, 500):
        with django_assert_max_num_queries(2):
            response = api.get(url, {"page_size": page_size})
        assert len(response.json()["results"]) == min(page_size, model.objects.count())
