"""Recovery on the application page: the table per step (objective, computed, last
measured, coloured, bottleneck, assumed inputs), the recovery tests list and the form
that records one."""

import datetime

import pytest

from registry.models import RecoveryTest
from tests.factories import RecoveryTestFactory
from tests.recovery_world import build_shop
from tests.views.conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(reference, team_a):
    return build_shop(team_a, nightly=True)


def test_the_page_shows_each_disruption_against_its_objective(alice, world):
    """The nightly variant: component 15 min / 1 d, region unrecoverable, corruption
    15 min / 1 d, against 2 h / 30 s; the DB's backup interval bounds the RPO."""
    html = logged_in(alice).get(f"/applications/{world.shop.pk}/").content.decode()
    for text in (
        "Component failure",
        "Region loss",
        "Data corruption",
        "<strong>15 min</strong>",
        "<strong>unrecoverable</strong>",
        "bound by Orders DB&#x27;s backup interval (1 d)",
        "bound by Orders DB&#x27;s recovery time (10 min)",
        "never tested",
        'class="misses"',
        'class="meets"',
    ):
        assert text in html, text


def test_assumed_inputs_are_marked(alice, world):
    world.shop.detection_time_seconds = None
    world.shop.save()
    html = logged_in(alice).get(f"/applications/{world.shop.pk}/").content.decode()
    assert "detection time of Shop (5 min, default)" in html
    assert "badge-assumed" in html


def test_a_passed_drill_is_shown_and_used(alice, world):
    RecoveryTestFactory(
        application=world.shop,
        performed_on=datetime.date.today(),
        measured_rto_seconds=10800,
        scenario="Failed over to Frankfurt.",
    )
    html = logged_in(alice).get(f"/applications/{world.shop.pk}/").content.decode()
    assert "<strong>3 h</strong>" in html
    assert '<span class="badge">used</span>' in html
    assert "Failed over to Frankfurt." in html


def test_an_editor_records_a_recovery_test(bob, world):
    client = logged_in(bob)
    url = f"/applications/{world.shop.pk}/recovery-tests/new/"
    assert "Record a recovery test of Shop" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "disruption": "data_corruption",
            "step": world.checkout.pk,
            "performed_on": "2026-05-01",
            "scenario": "Restored the Orders DB to before a bad write.",
            "measured_rto_seconds": "3600",
            "measured_rpo_seconds": "1",
            "outcome": "passed",
        },
    )
    assert response.status_code == 302
    test = RecoveryTest.objects.get()
    assert (test.team, test.application, test.step, test.recorded_by) == (
        world.shop.team,
        world.shop,
        world.checkout,
        bob,
    )


def test_a_pass_without_its_figure_is_refused_on_the_form(bob, world):
    response = logged_in(bob).post(
        f"/applications/{world.shop.pk}/recovery-tests/new/",
        {
            "disruption": "region",
            "performed_on": "2026-05-01",
            "scenario": "x",
            "outcome": "passed",
        },
    )
    assert response.status_code == 422
    assert response.context["form"].errors == {
        "measured_rto_seconds": ["A passed test needs the RTO it measured."]
    }
    assert not RecoveryTest.objects.exists()


def test_a_viewer_cannot_record_and_another_team_cannot_see(victor, charlie, world):
    url = f"/applications/{world.shop.pk}/recovery-tests/new/"
    assert logged_in(victor).get(url).status_code in (403, 404)
    assert logged_in(charlie).get(url).status_code == 404
    drill = RecoveryTestFactory(application=world.shop)
    assert logged_in(charlie).get(f"/recovery-tests/{drill.pk}/edit/").status_code == 404
