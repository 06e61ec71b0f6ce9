"""Applications: the list with its filters and figures, the detail page with objectives
and dependency trees, and the create/edit forms."""

import pytest

from registry.models import Application, Dependency, Region, Tier
from tests.factories import (
    ApplicationFactory,
    BusinessFunctionFactory,
    ComponentFactory,
    DependencyFactory,
    FailureModeFactory,
    StepFactory,
)
from tests.factories import DependencyFactory as Edge

pytestmark = pytest.mark.django_db


def test_the_list_shows_tier_strategy_regions_count_and_max_rpn(as_victor, register):
    register.app.regions.set(Region.objects.filter(code__in=["eu-west-1", "eu-central-1"]))
    FailureModeFactory(step=register.step, severity=9, probability=9, detectability=2)
    html = as_victor.get("/applications/").content.decode()
    for text in (
        "Order processing",
        "Tier 1",
        "Warm standby",
        "eu-west-1",
        "eu-central-1",
        '<td class="num">2</td>',
        '<span class="rpn-value">162</span>',
    ):
        assert text in html, text
    assert "Secret B app" not in html
    assert "New application" not in html  # viewer


def test_the_list_filters_by_tier_and_business_function(as_victor, register):
    function = BusinessFunctionFactory(team=register.app.team, name="Analyse clickstream")
    ApplicationFactory(
        team=register.app.team,
        name="Clickstream",
        business_function=function,
        tier=Tier.objects.get(level=4),
        dr_strategy=register.strategy,
    )
    by_tier = as_victor.get("/applications/", {"tier": "4"}).content.decode()
    assert "Clickstream" in by_tier and "Order processing" not in by_tier
    by_function = as_victor.get("/applications/", {"business_function": function.pk}).content
    assert b"Clickstream" in by_function and b"Order processing" not in by_function
    nothing = as_victor.get("/applications/", {"tier": "3"}).content
    assert b"No application matches these filters" in nothing


def test_the_list_makes_a_fixed_number_of_queries(as_alice, register, fixed_queries):
    def grow():
        for index in range(29):
            app = ApplicationFactory(
                team=register.app.team, tier=register.tier, dr_strategy=register.strategy
            )
            app.regions.set(Region.objects.all()[:2])
            FailureModeFactory(step=StepFactory(application=app), severity=1 + index % 10)

    assert fixed_queries(as_alice, "/applications/", grow) <= 10


def test_the_empty_list_says_what_to_do_next(as_charlie, team_b):
    html = as_charlie.get("/applications/").content.decode()
    assert "No applications yet" in html and "Add the first application" in html


def test_the_detail_page_shows_objectives_strategy_and_dependency_trees(as_victor, register):
    """Steps in order with their trees: nested components, hard/soft, kind, availability."""
    app = register.app
    StepFactory(application=app, order=2, name="Confirm", rto_seconds=600)
    dns = ComponentFactory(team=app.team, name="DNS", kind="network")
    Edge(step=None, dependant_component=register.component, component=dns, hard=False)
    html = as_victor.get(f"/applications/{app.pk}/").content.decode()
    for text in (
        "Tier 1 - mission critical",
        "RTO",
        "2 h",
        "30 s",
        "99.999 %",
        "Warm standby",
        "Orders table",
        "Database",
        "99.9 %",
        "DNS",
        "Network",
        "soft",
        "hard",
        "10 min",
    ):
        assert text in html, text
    assert html.index("1. <a") < html.index("2. <a")
    assert html.index("Orders table") < html.index("DNS")


def test_a_dependency_loop_is_shown_once_not_forever(as_victor, register):
    a = register.component
    b = ComponentFactory(team=a.team, name="Loop B")
    # Every interface refuses a loop; a register written before that rule may hold one.
    Dependency.objects.bulk_create(
        [
            Dependency(dependant_component=a, component=b),
            Dependency(dependant_component=b, component=a),
        ]
    )
    html = as_victor.get(f"/applications/{register.app.pk}/").content.decode()
    assert "loop: already above" in html


def test_the_detail_page_makes_a_fixed_number_of_queries(as_alice, register, fixed_queries):
    app = register.app

    def grow():
        previous = register.component
        for index in range(29):
            step = StepFactory(application=app, order=index + 2)
            component = ComponentFactory(team=app.team)
            DependencyFactory(step=step, component=component)
            Edge(step=None, dependant_component=component, component=previous)
            FailureModeFactory(step=step)
            previous = component

    # The recovery tables read the team's set-up in 10 queries and the drills list in 1.
    assert fixed_queries(as_alice, f"/applications/{app.pk}/", grow) <= 23


def test_another_teams_application_is_not_found(as_alice, register):
    assert as_alice.get(f"/applications/{register.b_app.pk}/").status_code == 404
    assert as_alice.get(f"/applications/{register.b_app.pk}/edit/").status_code == 404


def application_data(register, **overrides):
    return {
        "name": "Payments gateway",
        "business_function": "",
        "description": "",
        "tier": register.tier.pk,
        "dr_strategy": register.strategy.pk,
        "regions": [Region.objects.get(code="eu-west-1").pk],
        "data_residency": "EU",
        "owner": "alice",
        **overrides,
    }


def test_an_editor_creates_an_application(as_bob, register):
    response = as_bob.post("/applications/new/", application_data(register))
    created = Application.objects.get(name="Payments gateway")
    assert response.status_code == 302 and response["Location"] == f"/applications/{created.pk}/"
    assert created.team == register.app.team
    assert list(created.regions.values_list("code", flat=True)) == ["eu-west-1"]


def test_a_duplicate_name_is_an_error_on_the_field(as_bob, register):
    response = as_bob.post(
        "/applications/new/", application_data(register, name="Order processing")
    )
    assert response.status_code == 422
    assert b"Your team already has an application of this name." in response.content
    assert b'id="id_name_error"' in response.content


def test_a_business_function_of_another_team_is_refused(as_bob, register, team_b):
    other = BusinessFunctionFactory(team=team_b)
    response = as_bob.post(
        "/applications/new/", application_data(register, business_function=other.pk)
    )
    assert response.status_code == 422
    assert not Application.objects.filter(name="Payments gateway").exists()


def test_an_editor_edits_an_application(as_bob, register):
    response = as_bob.post(
        f"/applications/{register.app.pk}/edit/",
        application_data(register, name="Order processing v2"),
    )
    assert response.status_code == 302
    register.app.refresh_from_db()
    assert register.app.name == "Order processing v2"


def test_a_viewer_cannot_create_or_edit(as_victor, register):
    assert as_victor.post("/applications/new/", application_data(register)).status_code == 403
    assert as_victor.get(f"/applications/{register.app.pk}/edit/").status_code == 403
    assert not Application.objects.filter(name="Payments gateway").exists()
