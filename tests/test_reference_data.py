"""Reference and demo data load idempotently and match the shared reference material."""

import csv
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command

from registry.models import (
    Action,
    Application,
    DrStrategy,
    FailureMode,
    FailureModeTemplate,
    RatingScale,
    Region,
    Tier,
)
from registry.services.reference_data import DATA_DIR

pytestmark = pytest.mark.django_db
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_app_config("registry").get_models()
    }


def reference_csv(name: str) -> list[dict[str, str]]:
    folder = SHARED_DATA if (SHARED_DATA / name).exists() else DATA_DIR
    with (folder / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(
    "name", ["tiers.csv", "dr_strategies.csv", "rating_scales.csv", "failure_mode_library.csv"]
)
def test_the_project_ships_the_reference_data(name):
    """The project's own copy is the shared reference material."""
    if not (SHARED_DATA / name).exists():
        pytest.skip("../shared/data is not beside this checkout")
    assert (DATA_DIR / name).read_text() == (SHARED_DATA / name).read_text()


def test_load_reference_data_loads_every_row_once():
    """Running the command twice gives the rows of the reference files, no more."""
    call_command("load_reference_data", verbosity=0)
    first = row_counts()
    call_command("load_reference_data", verbosity=0)
    assert row_counts() == first
    assert Tier.objects.count() == len(reference_csv("tiers.csv")) == 4
    assert DrStrategy.objects.count() == len(reference_csv("dr_strategies.csv")) == 4
    assert RatingScale.objects.count() == len(reference_csv("rating_scales.csv")) == 30
    assert FailureModeTemplate.objects.count() == len(reference_csv("failure_mode_library.csv"))
    assert Region.objects.get(code="eu-west-1").country == "IE"
    assert Region.objects.get(code="eu-west-2").country == "GB"


def test_tiers_carry_the_reference_objectives():
    """Tier 1 is 2 h RTO, 30 s RPO, 99.999 %, threshold 100, reviewed every 90 days."""
    call_command("load_reference_data", verbosity=0)
    for row in reference_csv("tiers.csv"):
        tier = Tier.objects.get(level=int(row["level"]))
        assert tier.rto_seconds == int(row["rto_seconds"])
        assert tier.rpo_seconds == int(row["rpo_seconds"])
        assert float(tier.availability_target) == float(row["availability_target"])
        assert tier.rpn_threshold == int(row["rpn_threshold"])
        assert tier.review_interval_days == int(row["review_interval_days"])


def test_loading_again_keeps_user_edits_unless_reset():
    """An edited tier survives a reload; --reset restores the shipped value."""
    call_command("load_reference_data", verbosity=0)
    Tier.objects.filter(level=2).update(rpn_threshold=120)
    call_command("load_reference_data", verbosity=0)
    assert Tier.objects.get(level=2).rpn_threshold == 120
    call_command("load_reference_data", "--reset", verbosity=0)
    assert Tier.objects.get(level=2).rpn_threshold == 150


def test_seed_demo_is_idempotent_and_holds_the_sample_worksheet():
    """Seeding twice gives the same rows; every sample worksheet row is there."""
    call_command("seed_demo", verbosity=0)
    first = row_counts()
    call_command("seed_demo", verbosity=0)
    assert row_counts() == first
    order = Application.objects.get(name="Order processing")
    clickstream = Application.objects.get(name="Clickstream analytics")
    assert (order.tier.level, clickstream.tier.level) == (1, 4)
    for row in reference_csv("sample_worksheet.csv"):
        failure_mode = FailureMode.objects.get(step__name=row["step"], mode=row["mode"])
        assert failure_mode.step.application.name == row["application"]
        assert failure_mode.component.name == row["component"]
        assert (failure_mode.severity, failure_mode.probability, failure_mode.detectability) == (
            int(row["severity"]),
            int(row["probability"]),
            int(row["detectability"]),
        )
        assert failure_mode.status == row["status"]
        if row["action"]:
            assert Action.objects.filter(failure_mode=failure_mode, owner=row["action_owner"])
    # Every step has a dependency tree.
    assert not order.steps.filter(dependencies__isnull=True).exists()
