"""The resilience rules through every interface that could disagree: findings stored
from the database, rollups, the API (400s with the accepted codes, the renamed kind),
the browser form and the admin."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from registry.analysis.rollups import recompute_team
from registry.choices import AvailabilityBasis, ComponentKind
from registry.models import Application, Component, DrStrategy, Finding, Region, Step, Tier
from registry.models.rollups import TierRollup
from tests.api.matrix import snapshot
from tests.factories import (
    ApplicationFactory,
    ComponentFactory,
    DependencyFactory,
    StepFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]


def tier(level: int) -> Tier:
    return Tier.objects.get(level=level)


def application(team, level=1, strategy="backup_restore", regions=("eu-west-1",), **kwargs):
    app = ApplicationFactory(
        team=team,
        tier=tier(level),
        dr_strategy=DrStrategy.objects.get(code=strategy),
        **kwargs,
    )
    app.regions.set(Region.objects.filter(code__in=regions))
    return app


def component(team, name, availability="99.9", regions=("eu-west-1",), **kwargs):
    made = ComponentFactory(
        team=team,
        name=name,
        availability=None if availability is None else Decimal(availability),
        **kwargs,
    )
    made.regions.set(Region.objects.filter(code__in=regions))
    return made


def findings(team, kind) -> list[Finding]:
    return list(Finding.objects.filter(team=team, kind=kind).order_by("key"))


# --- findings and rollups from the database ----------------------------------------


def test_the_diamond_is_99_7003_percent_from_the_database(team_a):
    """A Tier 2 step (99.9 %) needs A and B, both need C, all 99.9 % in one region:
    0.999³ = 99.7003 %, one gap naming three distinct components."""
    step = StepFactory(application=application(team_a, level=2))
    a, b, c = (component(team_a, name) for name in "ABC")
    DependencyFactory(step=step, component=a)
    DependencyFactory(step=step, component=b)
    DependencyFactory(step=None, dependant_component=a, component=c)
    DependencyFactory(step=None, dependant_component=b, component=c)
    recompute_team(team_a.pk)
    [gap] = findings(team_a, "composite_availability_gap")
    assert gap.details["composite_availability"] == pytest.approx(99.7003, abs=1e-4)
    assert gap.details["component_count"] == 3
    step.availability_target = Decimal("99.7")
    step.save()
    recompute_team(team_a.pk)
    assert findings(team_a, "composite_availability_gap") == []


def test_an_eu_application_with_a_us_database_from_the_database(team_a):
    """EU residency, running in eu-west-1, orders database in us-east-1: one finding
    naming the database and the region."""
    app = application(team_a, level=3, data_residency="EU")
    step = StepFactory(application=app)
    orders = component(team_a, "Orders database", regions=("us-east-1",))
    DependencyFactory(step=step, component=orders)
    recompute_team(team_a.pk)
    [finding] = findings(team_a, "data_residency_conflict")
    assert (finding.step_id, finding.component_id) == (step.pk, orders.pk)
    assert "Orders database" in finding.message and "us-east-1" in finding.message


def test_a_common_dependency_counts_in_the_tier_1_rollup(team_a):
    """Three Tier 1 steps need DNS: the finding counts in Tier 1's rollup, so the
    rollup's findings add up to the team's."""
    app = application(team_a, level=1, strategy="active_active", regions=())
    dns = component(team_a, "DNS", availability="99.99", regions=())
    for order in (1, 2, 3):
        DependencyFactory(step=StepFactory(application=app, order=order), component=dns)
    recompute_team(team_a.pk)
    [common] = findings(team_a, "common_dependency")
    assert common.tier_id == tier(1).pk
    rollup = TierRollup.objects.get(team=team_a, tier=tier(1))
    assert rollup.findings_by_kind["common_dependency"] == 1
    counted = sum(TierRollup.objects.filter(team=team_a).values_list("finding_count", flat=True))
    assert counted == Finding.objects.filter(team=team_a).count()


def test_findings_on_assumed_figures_are_marked_and_counted(api, bob, team_a):
    """Card network API has no figure: the gap says it assumes 99.9 % and the Tier 1
    rollup counts one finding on assumptions."""
    step = StepFactory(application=application(team_a, level=1))
    card = component(team_a, "Card network API", availability=None, regions=())
    assert card.availability_basis == AvailabilityBasis.ASSUMED
    DependencyFactory(step=step, component=card)
    recompute_team(team_a.pk)
    [gap] = findings(team_a, "composite_availability_gap")
    assert "Assumes 99.9 % for Card network API: no figure entered." in gap.message
    assert gap.rests_on_assumption
    assert gap.details["assumed_components"][0]["name"] == "Card network API"
    assert TierRollup.objects.get(team=team_a, tier=tier(1)).assumed_finding_count == 1
    api.as_user(bob)
    [found] = api.get("/api/v1/findings/", {"kind": "composite_availability_gap"}).json()[
        "results"
    ]
    assert found["rests_on_assumption"] is True
    [rollup] = api.get("/api/v1/rollups/tiers/", {"tier": 1}).json()["results"]
    assert rollup["assumed_finding_count"] == 1


def test_the_assumed_figure_is_configurable(team_a, settings):
    """FMEA_ASSUMED_AVAILABILITY = 99.99: the same step now rests on 99.99 %."""
    settings.FMEA_ASSUMED_AVAILABILITY = Decimal("99.99")
    step = StepFactory(application=application(team_a, level=1))
    DependencyFactory(step=step, component=component(team_a, "Card", availability=None))
    recompute_team(team_a.pk)
    [gap] = findings(team_a, "composite_availability_gap")
    assert gap.details["composite_availability"] == pytest.approx(99.99)
    assert "Assumes 99.99 % for Card" in gap.message


def test_a_tier_tightened_past_a_step_is_step_objective_relaxed(team_a):
    """A Tier 3 step asked 24 h of RTO, as the tier did; the tier tightens to 12 h and
    the step, left looser without a reason, is a finding (and one with a reason is not)."""
    app = application(team_a, level=3)
    step = StepFactory(application=app, rto_seconds=86400)
    explained = StepFactory(
        application=app, order=2, rto_seconds=86400, objective_reason="Nightly batch."
    )
    recompute_team(team_a.pk)
    assert findings(team_a, "step_objective_relaxed") == []
    Tier.objects.filter(level=3).update(rto_seconds=12 * 3600)
    recompute_team(team_a.pk)
    [finding] = findings(team_a, "step_objective_relaxed")
    assert finding.step_id == step.pk != explained.pk
    assert "RTO 1 d instead of 12 h" in finding.message


def test_active_active_in_one_region_from_the_database(team_a):
    application(team_a, level=2, strategy="active_active", regions=("eu-west-1",))
    recompute_team(team_a.pk)
    assert len(findings(team_a, "dr_strategy_single_region")) == 1


# --- the API -------------------------------------------------------------------------


def test_an_unknown_jurisdiction_is_a_400_listing_the_accepted_codes(api, bob, team_a):
    """ "Europe" is not a jurisdiction: 400 naming EU, EEA and the country codes; "eu"
    is stored as EU."""
    before = snapshot()
    body = {
        "team": team_a.pk,
        "name": "Shop",
        "tier": tier(2).pk,
        "dr_strategy": "backup_restore",
        "regions": ["eu-west-1"],
    }
    response = api.as_user(bob).post("/api/v1/applications/", {**body, "data_residency": "Europe"})
    assert response.status_code == 400
    [message] = response.data["data_residency"]
    assert "“EUROPE” is not a jurisdiction" in message
    assert "EU, EEA, AD, AE" in message and "IE" in message and "US" in message
    assert snapshot() == before
    response = api.as_user(bob).post("/api/v1/applications/", {**body, "data_residency": "eu"})
    assert response.status_code == 201
    assert response.data["data_residency"] == "EU"


def test_the_former_kind_name_still_filters_findings(api, bob, team_a):
    """?kind=shared_fate answers the common-dependency findings, and the schema says the
    old name is accepted for this release."""
    app = application(team_a, level=1, strategy="active_active", regions=())
    dns = component(team_a, "DNS", availability="99.99", regions=())
    for order in (1, 2, 3):
        DependencyFactory(step=StepFactory(application=app, order=order), component=dns)
    recompute_team(team_a.pk)
    old = api.as_user(bob).get("/api/v1/findings/", {"kind": "shared_fate"}).json()
    new = api.as_user(bob).get("/api/v1/findings/", {"kind": "common_dependency"}).json()
    assert old["count"] == new["count"] == 1
    assert old["results"][0]["kind"] == "common_dependency"
    schema = api.as_user(bob).get("/api/v1/schema/", {"format": "json"}).json()
    [kind] = [
        p for p in schema["paths"]["/api/v1/findings/"]["get"]["parameters"] if p["name"] == "kind"
    ]
    assert "former name" in kind["description"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"availability": "99.95"}, "availability"),  # assumed with a figure
        ({"availability_basis": "sla"}, "availability"),  # an SLA without one
        (
            {"availability_basis": "measured", "availability": "99.95"},
            "availability_measured_over_days",
        ),
    ],
)
def test_a_component_figure_must_say_where_it_comes_from(api, bob, team_a, body, field):
    before = snapshot()
    response = api.as_user(bob).post(
        "/api/v1/components/", {"team": team_a.pk, "name": "DB", "kind": "database", **body}
    )
    assert response.status_code == 400
    assert list(response.data) == [field]
    assert snapshot() == before


def test_a_component_without_a_figure_counts_the_assumption(api, bob, team_a):
    response = api.as_user(bob).post(
        "/api/v1/components/", {"team": team_a.pk, "name": "Card API", "kind": "third_party"}
    )
    assert response.status_code == 201
    assert response.data["availability"] is None
    assert response.data["availability_basis"] == "assumed"
    assert Decimal(response.data["availability_counted"]) == Decimal("99.9")


# --- the browser form and the admin -------------------------------------------------


def test_the_step_form_asks_for_a_reason_when_looser(bob, team_a):
    """Tier 1's RTO is 2 h: a 1-day RTO on the form without a reason is a form error on
    the reason, and nothing is stored."""
    app = application(team_a, level=1)
    client = Client()
    client.force_login(bob)
    url = reverse("registry:step_new", args=[app.pk])
    form = client.get(url).context["form"]
    assert form["objective_reason"].value() == ""  # an empty box, not a placeholder object
    values = {"order": 1, "name": "Nightly batch", "description": "", "rto_seconds": 86400}
    response = client.post(url, values)
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["objective_reason"]
    assert not Step.objects.filter(application=app).exists()
    response = client.post(url, {**values, "objective_reason": "Runs at night."})
    assert response.status_code == 302
    assert Step.objects.get(application=app).objective_reason == "Runs at night."


def test_the_admin_lists_applications_with_an_unmapped_residency(admin_client, team_a):
    """What the migration could not map is one filter away."""
    kept = application(team_a, level=3, name="Kept")
    lost = application(team_a, level=3, name="Lost")
    Application.objects.filter(pk=lost.pk).update(data_residency_unmapped="Europe")
    url = reverse("admin:registry_application_changelist")
    response = admin_client.get(url, {"residency_unmapped": "yes"})
    names = {row.name for row in response.context["cl"].result_list}
    assert names == {"Lost"} and kept.name not in names
    Region.objects.create(code="xx-old-1", name="Old", country="")
    response = admin_client.get(
        reverse("admin:registry_region_changelist"), {"country_missing": "yes"}
    )
    assert [row.code for row in response.context["cl"].result_list] == ["xx-old-1"]


def test_the_admin_refuses_an_sla_without_a_figure(admin_client, team_a):
    before = Component.objects.count()
    response = admin_client.post(
        reverse("admin:registry_component_add"),
        {
            "team": team_a.pk,
            "name": "DB",
            "kind": ComponentKind.DATABASE,
            "availability_basis": "sla",
            "dependencies-TOTAL_FORMS": 0,
            "dependencies-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "availability" in response.context["adminform"].form.errors
    assert Component.objects.count() == before
