"""A component's availability measured from its incidents' downtime over the evidence
window: overlapping incidents counted once, an open one until now, one straddling the
window's start clipped to it, one outside the window and another component's left out.
Expectations are worked out by hand."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from registry.analysis.downtime import measured_availability
from registry.models import Component
from registry.services.incidents import adopt_measured_availability
from tests.factories import ComponentFactory, IncidentFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 1, 0, 0, tzinfo=datetime.UTC)  # window from 2025-12-01


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=datetime.UTC)


def incident(component, started, resolved=None):
    row = IncidentFactory(
        team=component.team, started_at=started, detected_at=started, resolved_at=resolved
    )
    row.components.add(component)
    return row


@pytest.fixture
def orders_db(team_a):
    return ComponentFactory(team=team_a, name="orders-db", availability=Decimal("99.99"))


@pytest.fixture
def outages(orders_db, team_a):
    incident(orders_db, at(2026, 3, 10, 10), at(2026, 3, 10, 12))  # 10:00-12:00
    incident(orders_db, at(2026, 3, 10, 11), at(2026, 3, 10, 13, 30))  # overlaps: to 13:30
    incident(orders_db, at(2026, 11, 30, 22))  # open: 2 h until NOW
    incident(orders_db, at(2025, 11, 30, 23), at(2025, 12, 1, 1))  # 1 h inside the window
    incident(orders_db, at(2025, 6, 1, 0), at(2025, 6, 2, 0))  # before the window
    incident(ComponentFactory(team=team_a, name="cache"), at(2026, 5, 1, 0), at(2026, 5, 2, 0))


def test_downtime_is_the_union_of_the_incidents_clipped_to_the_window(orders_db, outages):
    measured = measured_availability(orders_db.pk, now=NOW, window_days=365)

    # 3.5 h (10:00-13:30, the overlap once) + 2 h open + 1 h clipped = 6.5 h = 23,400 s
    assert measured.incidents == 4
    assert measured.downtime_seconds == 23_400
    # 100 × (1 − 23,400 / 31,536,000) = 99.925799…, rounded down
    assert measured.availability == Decimal("99.9257")
    assert measured.summary == "99.92 % over 365 days (4 incidents, 6.5 h down)"


def test_a_component_without_incidents_measures_nothing(orders_db):
    measured = measured_availability(orders_db.pk, now=NOW, window_days=365)

    assert (measured.incidents, measured.downtime_seconds) == (0, 0)
    with pytest.raises(Exception, match="nothing measured"):
        adopt_measured_availability(orders_db, user=None, now=NOW)
    orders_db.refresh_from_db()
    assert orders_db.availability == Decimal("99.9900")
    assert orders_db.availability_basis == "sla"


def test_adopting_sets_the_measured_figure_and_window_and_the_history_says_so(
    orders_db, outages, alice, settings
):
    settings.FMEA_EVIDENCE_WINDOW_DAYS = 365

    adopt_measured_availability(orders_db, user=alice, now=NOW)

    orders_db.refresh_from_db()
    assert orders_db.availability == Decimal("99.9257")
    assert orders_db.availability_basis == "measured"
    assert orders_db.availability_measured_over_days == 365
    latest = orders_db.history.latest("history_id")
    assert latest.history_user == alice
    assert latest.availability == Decimal("99.9257")
    assert latest.history_change_reason == (
        "Availability measured from incidents: 99.92 % over 365 days (4 incidents, 6.5 h down)"
    )


@pytest.fixture
def two_hours_ten_days_ago(orders_db):
    """One incident of 2 h: 100 × (1 − 7,200 / 31,536,000) = 99.97716…"""
    started = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=10)
    incident(orders_db, started, started + datetime.timedelta(hours=2))


def test_the_api_offers_the_measured_figure_and_adopts_it(
    orders_db, two_hours_ten_days_ago, alice
):
    api = Client()
    api.force_login(alice)

    offered = api.get(f"/api/v1/components/{orders_db.pk}/measured-availability/").json()
    adopted = api.post(f"/api/v1/components/{orders_db.pk}/adopt-measured-availability/")

    assert offered == {
        "window_days": 365,
        "incidents": 1,
        "downtime_seconds": 7200,
        "availability": 99.9771,
        "summary": "99.97 % over 365 days (1 incident, 2 h down)",
    }
    assert adopted.status_code == 200
    assert adopted.json()["availability"] == 99.9771
    assert adopted.json()["availability_basis"] == "measured"
    assert adopted.json()["availability_measured_over_days"] == 365


def test_a_viewer_cannot_adopt_and_nothing_changes(orders_db, two_hours_ten_days_ago, victor):
    api = Client()
    api.force_login(victor)

    response = api.post(f"/api/v1/components/{orders_db.pk}/adopt-measured-availability/")
    page = api.post(f"/components/{orders_db.pk}/adopt-measured-availability/")

    assert response.status_code == 403
    assert page.status_code in (403, 404)
    assert Component.objects.get(pk=orders_db.pk).availability == Decimal("99.9900")


def test_the_component_page_states_the_measured_figure_and_adopts_it(
    orders_db, two_hours_ten_days_ago, bob
):
    browser = Client()
    browser.force_login(bob)

    page = browser.get(f"/components/{orders_db.pk}/").content.decode()
    response = browser.post(f"/components/{orders_db.pk}/adopt-measured-availability/")

    assert "99.97 % over 365 days (1 incident, 2 h down)" in page
    assert "Adopt 99.9771 %" in page
    assert response.status_code == 302
    orders_db.refresh_from_db()
    assert (orders_db.availability, orders_db.availability_basis) == (
        Decimal("99.9771"),
        "measured",
    )
    after = browser.get(response["Location"]).content.decode()
    assert "Measured by monitoring, over 365 days" in after
