"""Fixtures of the report tests: the demo register, storage in a temporary folder,
and helpers to generate a run and read its file back."""

import pytest
from django.core.management import call_command

from registry.models import Membership, ReportRun, Team
from registry.reports import runs


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Report files go to a fresh folder per test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def demo(db):
    call_command("seed_demo", verbosity=0)
    return Team.objects.get(slug="demo")


@pytest.fixture
def demo_owner(demo):
    return Membership.objects.get(team=demo, role="owner").user


@pytest.fixture
def make_run(demo, demo_owner):
    """`make_run(format, **scope)`: a generated run of the demo team."""

    def make(format: str, team=None, user=None, **scope) -> ReportRun:
        run = runs.request_report(
            team=team or demo, user=user or demo_owner, format=format, scope=scope
        )
        assert runs.generate(run.pk) == "done", ReportRun.objects.get(pk=run.pk).error
        run.refresh_from_db()
        return run

    return make


def read(run: ReportRun) -> bytes:
    with run.file.open("rb") as handle:
        return handle.read()


@pytest.fixture
def register_a(team_a, team_b):
    """Team A: one application, step and failure mode; team B: the same, never shown."""
    from registry.models import DrStrategy, Tier
    from registry.services.reference_data import load_reference_data
    from tests.factories import ApplicationFactory, FailureModeFactory, StepFactory

    load_reference_data()
    tier = Tier.objects.get(level=1)
    strategy = DrStrategy.objects.get(code="warm_standby")
    app = ApplicationFactory(team=team_a, name="Order processing", tier=tier, dr_strategy=strategy)
    step = StepFactory(application=app, order=1, name="Pay")
    failure_mode = FailureModeFactory(step=step, mode="Primary database fails", severity=7)
    b_app = ApplicationFactory(team=team_b, name="Secret B app", tier=tier, dr_strategy=strategy)
    b_step = StepFactory(application=b_app, order=1, name="Secret B step")
    FailureModeFactory(step=b_step, mode="Secret B failure")
    return app, step, failure_mode, b_app
