"""A team's first recompute stores its findings by plain inserts (there is nothing stored
to compare with); every later one upserts. Both paths store the same findings."""

import datetime

import pytest
from django.core.management import call_command

from registry.analysis.findings import refresh_findings
from registry.choices import FindingKind, FindingSeverity
from registry.models import Finding, Team

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2030, 6, 1, 12, 0, tzinfo=datetime.UTC)
# Every column a finding has but its id.
STORED = [field.attname for field in Finding._meta.concrete_fields if not field.primary_key]


def stored(team: Team) -> list[tuple]:
    return list(Finding.objects.filter(team=team).order_by("key").values_list(*STORED))


def test_the_first_pass_stores_what_a_recompute_stores():
    """The demo's findings inserted on a fresh team equal those a recompute upserts."""
    call_command("seed_demo", verbosity=0)
    demo = Team.objects.get(slug="demo")
    Finding.objects.filter(team=demo).delete()
    assert refresh_findings(demo.pk, NOW) > 0
    first_pass = stored(demo)

    # One stale finding: the team is no longer fresh, so every finding goes through
    # the upsert, and the stale one is deleted.
    Finding.objects.filter(team=demo).delete()
    Finding.objects.create(
        team=demo,
        key="review_overdue:step:0",
        kind=FindingKind.REVIEW_OVERDUE,
        severity=FindingSeverity.LOW,
        message="Stale.",
        first_seen_at=NOW,
        computed_at=NOW,
    )
    refresh_findings(demo.pk, NOW)

    assert stored(demo) == first_pass
    kinds = {row[STORED.index("kind")] for row in first_pass}
    # Both kinds of rules: stored by SQL (about failure modes and actions) and
    # computed in Python (about the set-up).
    assert {FindingKind.UNMITIGATED_HIGH_RISK, FindingKind.OVERDUE_ACTION} <= kinds
    assert kinds & {FindingKind.DR_STRATEGY_GAP, FindingKind.COMPOSITE_AVAILABILITY_GAP}
