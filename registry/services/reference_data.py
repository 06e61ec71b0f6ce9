"""Loading the shipped reference data (registry/data/*.csv) into the database.

Loading only adds what is missing, matched by natural key, so running it again never
undoes an edit a user made afterwards; `reset=True` restores the shipped values.
"""

import csv
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

from django.db import models, transaction

from registry.models import DrStrategy, FailureModeTemplate, RatingScale, Region, Tier

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def read_rows(name: str) -> Iterator[dict[str, str]]:
    with (DATA_DIR / name).open(newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


# How often each shipped tier's applications must pass a recovery drill (days; None:
# no requirement). The reference file, shared with other material, has no column for it.
RECOVERY_TEST_INTERVAL_DAYS = {1: 90, 2: 180, 3: 365, 4: None}


def _tiers() -> Iterator[tuple[dict, dict]]:
    for row in read_rows("tiers.csv"):
        yield (
            {"level": int(row["level"])},
            {
                "name": row["name"],
                "description": row["description"],
                "rto_seconds": int(row["rto_seconds"]),
                "rpo_seconds": int(row["rpo_seconds"]),
                "availability_target": Decimal(row["availability_target"]),
                "rpn_threshold": int(row["rpn_threshold"]),
                "review_interval_days": int(row["review_interval_days"]),
                "recovery_test_interval_days": RECOVERY_TEST_INTERVAL_DAYS.get(int(row["level"])),
            },
        )


# The strategies that serve from every region at once (the reference file, shared with
# other material, has no column for it).
SERVES_ALL_REGIONS = {"active_active"}


def _dr_strategies() -> Iterator[tuple[dict, dict]]:
    for row in read_rows("dr_strategies.csv"):
        yield (
            {"code": row["code"]},
            {
                "name": row["name"],
                "cost_rank": int(row["cost_rank"]),
                "best_rto_seconds": int(row["best_rto_seconds"]),
                "best_rpo_seconds": int(row["best_rpo_seconds"]),
                "multi_region": row["multi_region"] == "true",
                "serves_all_regions": row["code"] in SERVES_ALL_REGIONS,
                "summary": row["summary"],
            },
        )


def _regions() -> Iterator[tuple[dict, dict]]:
    for row in read_rows("regions.csv"):
        yield {"code": row["code"]}, {"name": row["name"], "country": row["country"]}


def _number(text: str, kind: type = Decimal):
    return kind(text) if text else None


def rating_bands() -> dict[tuple[str, int], dict]:
    """The numbers behind the probability and detectability ratings (a file of their
    own: rating_scales.csv is shared with other material)."""
    return {
        (row["scale"], int(row["rating"])): {
            "min_per_year": _number(row["min_per_year"]),
            "max_per_year": _number(row["max_per_year"]),
            "max_detect_seconds": _number(row["max_detect_seconds"], int),
        }
        for row in read_rows("rating_bands.csv")
    }


def _rating_scales() -> Iterator[tuple[dict, dict]]:
    bands = rating_bands()
    for row in read_rows("rating_scales.csv"):
        key = (row["scale"], int(row["rating"]))
        yield (
            {"scale": key[0], "rating": key[1]},
            {"label": row["label"], "description": row["description"], **bands.get(key, {})},
        )


def _templates() -> Iterator[tuple[dict, dict]]:
    for row in read_rows("failure_mode_library.csv"):
        yield (
            {"component_kind": row["component_kind"], "mode": row["mode"]},
            {
                "failure_category": row["failure_category"],
                "effect": row["effect"],
                "cause": row["cause"],
                "prevention_controls": row["prevention_controls"],
                "detection_controls": row["detection_controls"],
                "severity": int(row["severity"]),
                "probability": int(row["probability"]),
                "detectability": int(row["detectability"]),
            },
        )


SOURCES: tuple[tuple[type[models.Model], Callable[[], Iterator[tuple[dict, dict]]]], ...] = (
    (Tier, _tiers),
    (DrStrategy, _dr_strategies),
    (Region, _regions),
    (RatingScale, _rating_scales),
    (FailureModeTemplate, _templates),
)


@transaction.atomic
def load_reference_data(*, reset: bool = False) -> dict[str, int]:
    """Create the missing reference rows (or restore all of them with `reset`).

    Returns the number of rows created per model.
    """
    created_counts: dict[str, int] = {}
    for model, rows in SOURCES:
        created_total = 0
        for lookup, values in rows():
            if reset:
                _, created = model.objects.update_or_create(**lookup, defaults=values)
            else:
                _, created = model.objects.get_or_create(**lookup, defaults=values)
            created_total += created
        created_counts[model._meta.verbose_name_plural] = created_total
    return created_counts
