"""Evidence in the browser: the incident list, and a failure mode whose incidents
contradict its probability rating, adopted with one click."""

import datetime

import pytest
from django.utils import timezone

from registry.models import FailureMode, Tier
from tests.browser.conftest import log_in, screenshot
from tests.factories import (
    ApplicationFactory,
    ComponentFactory,
    FailureModeFactory,
    IncidentFactory,
    StepFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_contradicted_probability_is_shown_and_adopted(new_page, people):
    app = ApplicationFactory(team=people, name="Checkout", tier=Tier.objects.get(level=1))
    step = StepFactory(application=app, order=1, name="Pay")
    orders_db = ComponentFactory(team=people, name="orders-db", kind="database")
    failure_mode = FailureModeFactory(
        step=step,
        component=orders_db,
        mode="Orders database failover stalls",
        severity=8,
        probability=2,
        detectability=3,
    )
    now = timezone.now()
    for days, minutes, title, source, external in (
        (25, 40, "Orders DB primary lost; failover took 40 minutes", "alertmanager", "a1:1"),
        (110, 35, "Orders DB replica promotion stuck", "pagerduty", "PGR0VU2"),
        (240, 55, "Orders DB connection storm after deploy", "manual", ""),
    ):
        started = now - datetime.timedelta(days=days)
        incident = IncidentFactory(
            team=people,
            title=title,
            source=source,
            external_id=external,
            severity="high",
            started_at=started,
            detected_at=started + datetime.timedelta(minutes=minutes),
            resolved_at=started + datetime.timedelta(minutes=minutes + 50),
            failure_modes=[failure_mode],
        )
        incident.components.add(orders_db)
    page = new_page()
    log_in(page, "bob")

    page.goto("/incidents/")
    assert page.get_by_role("link", name="Orders DB replica promotion stuck").is_visible()
    screenshot(page, "incidents-list")

    page.goto(f"/failure-modes/{failure_mode.pk}/")
    evidence = page.locator("#evidence")
    assert "contradicted" in evidence.inner_text()
    screenshot(page, "failure-mode-evidence")

    page.get_by_role("button", name="Adopt 6 as the probability").click()
    page.wait_for_url(f"**/failure-modes/{failure_mode.pk}/#evidence")
    assert FailureMode.objects.get(pk=failure_mode.pk).probability == 6
    assert "adopted from incidents" in page.locator("body").inner_text()


def test_past_incidents_are_imported_from_the_list_after_a_dry_run(new_page, people, tmp_path):
    """A file with a bad time is refused with its row and column; corrected, its dry run
    says what would be recorded and one click records it."""
    ComponentFactory(team=people, name="orders-db", kind="database")
    header = "title,started_at,resolved_at,severity,components\n"
    good = (
        "Orders DB failover stuck,2026-10-01T09:00:00Z,2026-10-01T11:00:00Z,high,orders-db\n"
        "Checkout latency spike,2026-11-02T10:00:00Z,,medium,\n"
    )
    bad, fixed = tmp_path / "bad.csv", tmp_path / "incidents.csv"
    bad.write_text(header + good + "Payments timeouts,yesterday,,low,\n")
    fixed.write_text(header + good)
    page = new_page()
    log_in(page, "bob")

    page.goto("/incidents/")
    page.get_by_role("link", name="Import incidents").click()
    page.locator("input[type=file]").set_input_files(str(bad))
    page.get_by_role("button", name="Upload").click()
    problems = page.get_by_role("table", name="Problems")
    assert problems.get_by_role("row").nth(1).inner_text().split("\t")[:2] == ["4", "started_at"]
    screenshot(page, "incident-import-problems")

    page.locator("input[type=file]").set_input_files(str(fixed))
    page.get_by_role("button", name="Upload").click()
    assert page.get_by_text("2 incidents would be recorded").is_visible()
    screenshot(page, "incident-import-dry-run")
    page.get_by_role("button", name="Record 2 incidents").click()

    assert page.get_by_text("2 incidents recorded").is_visible()
    assert FailureMode.objects.count() == 0  # incidents only
    page.get_by_role("link", name="See the incidents").click()
    assert page.get_by_role("link", name="Orders DB failover stuck").is_visible()
    assert page.get_by_role("link", name="Checkout latency spike").is_visible()


def test_a_components_availability_measured_from_its_incidents_is_adopted(new_page, people):
    """Two overlapping outages (0–2 h and 1–4 h) are 4 h down, once: 100 × (1 − 14,400 /
    31,536,000) = 99.9543 % over 365 days."""
    orders_db = ComponentFactory(
        team=people,
        name="orders-db",
        kind="database",
        availability=99.99,
        availability_basis="sla",
    )
    started = timezone.now() - datetime.timedelta(days=20)
    for offset, hours, title in ((0, 2, "Orders DB primary lost"), (1, 3, "Replica lag storm")):
        incident = IncidentFactory(
            team=people,
            title=title,
            started_at=started + datetime.timedelta(hours=offset),
            detected_at=started + datetime.timedelta(hours=offset),
            resolved_at=started + datetime.timedelta(hours=offset + hours),
        )
        incident.components.add(orders_db)
    page = new_page()
    log_in(page, "bob")

    page.goto(f"/components/{orders_db.pk}/")
    measured = page.locator("#measured-availability")
    assert "99.95 % over 365 days (2 incidents, 4 h down)" in measured.inner_text()
    screenshot(page, "component-measured-availability")
    measured.get_by_role("button", name="Adopt 99.9543 %").click()

    page.wait_for_url(f"**/components/{orders_db.pk}/#measured-availability")
    assert "Measured by monitoring, over 365 days" in page.locator("body").inner_text()
    orders_db.refresh_from_db()
    assert (str(orders_db.availability), orders_db.availability_basis) == ("99.9543", "measured")
