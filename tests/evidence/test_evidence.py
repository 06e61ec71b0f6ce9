"""Evidence against ratings: observed probability and detectability from the incidents
of each failure mode, the findings when a rating is contradicted, and adopting the
observed rating. Expectations are worked out by hand from the shipped bands
(registry/data/rating_bands.csv): probability 6 is [2, 6) a year, detectability 5 is a
median time to detect of at most 3,600 s, 4 at most 900 s."""

import datetime

import pytest
from django.core.management import call_command

from registry.analysis.evidence import failure_mode_evidence
from registry.analysis.findings import refresh_findings
from registry.choices import FindingKind
from registry.history import failure_mode_history
from registry.models import Finding
from registry.services.incidents import adopt_observed_rating
from tests.factories import ApplicationFactory, FailureModeFactory, IncidentFactory, StepFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)


def at(month: int, day: int = 1) -> datetime.datetime:
    return datetime.datetime(2026, month, day, 12, 0, tzinfo=datetime.UTC)


def minutes(value: int) -> datetime.timedelta:
    return datetime.timedelta(minutes=value)


@pytest.fixture(autouse=True)
def reference_data(db):
    call_command("load_reference_data", verbosity=0)


@pytest.fixture
def failure_mode(team_a):
    step = StepFactory(
        application=ApplicationFactory(team=team_a, name="Shop"), name="Pay", order=1
    )
    return FailureModeFactory(
        step=step, mode="Orders DB unavailable", probability=2, detectability=3, severity=5
    )


def incidents(failure_mode, *starts_and_detections):
    return [
        IncidentFactory(
            team=failure_mode.team,
            started_at=start,
            detected_at=None if detect is None else start + detect,
            failure_modes=[failure_mode],
        )
        for start, detect in starts_and_detections
    ]


def findings(team, kind):
    return list(Finding.objects.filter(team=team, kind=kind))


def test_three_incidents_in_a_year_contradict_probability_2(team_a, failure_mode):
    """3 a year is in the band of 6 (a few times a year): 6 − 2 ≥ 2 flags it, with the
    scale's words for both ratings."""
    incidents(failure_mode, (at(2), minutes(2)), (at(5), minutes(2)), (at(9), minutes(2)))

    refresh_findings(team_a.pk, NOW)

    [finding] = findings(team_a, FindingKind.PROBABILITY_CONTRADICTED)
    assert finding.failure_mode_id == failure_mode.pk
    assert finding.message == (
        "“Orders DB unavailable” in Shop / Pay: rated 2 (once in five to ten years); "
        "3 incidents in the last 12 months suggest 6 (a few times a year)."
    )
    assert finding.details["observed"] == 6
    assert finding.details["incidents"] == 3
    # The median time to detect is 2 minutes: detectability 2 (≤ 60 s) is not worse.
    assert findings(team_a, FindingKind.DETECTABILITY_CONTRADICTED) == []


def test_median_detection_of_40_minutes_contradicts_detectability_3(team_a, failure_mode):
    """Detections after 20, 40 and 90 minutes: median 40 min = 2,400 s, within the hour of
    rating 5 but over the 900 s of rating 4; 5 − 3 = 2 flags it."""
    failure_mode.probability = 6
    failure_mode.save()
    incidents(failure_mode, (at(3), minutes(90)), (at(4), minutes(20)), (at(6), minutes(40)))

    refresh_findings(team_a.pk, NOW)

    [finding] = findings(team_a, FindingKind.DETECTABILITY_CONTRADICTED)
    assert finding.details["median_detect_seconds"] == 2400
    assert finding.details["observed"] == 5
    assert "rated 3 (detected within minutes by synthetic monitoring or canaries)" in (
        finding.message
    )
    assert "median time to detect of 40 minutes over 3 incidents" in finding.message
    assert findings(team_a, FindingKind.PROBABILITY_CONTRADICTED) == []


def test_an_even_count_takes_the_mean_of_the_two_middle_detections(team_a, failure_mode):
    """10, 20, 30 and 600 minutes: median (20 + 30) / 2 = 25 min = 1,500 s → rating 5."""
    incidents(
        failure_mode,
        (at(1, 10), minutes(10)),
        (at(2), minutes(600)),
        (at(3), minutes(30)),
        (at(4), minutes(20)),
    )

    [evidence] = failure_mode_evidence(team_a.pk, now=NOW).values()

    assert evidence.median_detect_seconds == 1500
    assert evidence.observed_detectability == 5
    # 4 a year: band [2, 6) → 6.
    assert evidence.observed_probability == 6


def test_only_the_window_counts_and_undetected_incidents_only_count_as_occurrences(
    team_a, failure_mode
):
    """An incident older than 365 days is left out; one without a detection time counts
    for the frequency but not for the median."""
    incidents(
        failure_mode,
        (at(1) - datetime.timedelta(days=365), minutes(1)),  # before the window
        (at(6), None),
        (at(7), minutes(30)),
    )

    [evidence] = failure_mode_evidence(team_a.pk, now=NOW).values()

    assert evidence.incidents == 2
    assert evidence.median_detect_seconds == 1800
    assert evidence.observed_probability == 6  # 2 a year is where band 6 starts


def test_a_shared_incident_counts_for_each_failure_mode(team_a, failure_mode):
    other = FailureModeFactory(step=failure_mode.step, mode="Replica lag", probability=5)
    IncidentFactory(team=team_a, started_at=at(8), failure_modes=[failure_mode, other])

    evidence = failure_mode_evidence(team_a.pk, now=NOW)

    assert {pk: row.incidents for pk, row in evidence.items()} == {
        failure_mode.pk: 1,
        other.pk: 1,
    }
    # Once a year is rating 5: 5 − 2 = 3 contradicts the first, 5 − 5 not the second.
    assert evidence[failure_mode.pk].contradicts("probability")
    assert not evidence[other.pk].contradicts("probability")


def test_a_gap_of_one_is_not_a_contradiction_and_a_wider_margin_is_configurable(
    team_a, failure_mode, settings
):
    """One incident: observed 5 against 4 is a gap of 1; with a margin of 4, 5 against 2
    (a gap of 3) is not flagged either."""
    failure_mode.probability = 4
    failure_mode.save()
    incidents(failure_mode, (at(6), minutes(1)))
    refresh_findings(team_a.pk, NOW)
    assert findings(team_a, FindingKind.PROBABILITY_CONTRADICTED) == []

    failure_mode.probability = 2
    failure_mode.save()
    settings.FMEA_EVIDENCE_MARGIN = 4
    refresh_findings(team_a.pk, NOW)
    assert findings(team_a, FindingKind.PROBABILITY_CONTRADICTED) == []


def test_a_failure_mode_without_incidents_has_no_evidence(team_a, failure_mode):
    assert failure_mode_evidence(team_a.pk, now=NOW) == {}
    refresh_findings(team_a.pk, NOW)
    assert not Finding.objects.filter(
        kind__in=[FindingKind.PROBABILITY_CONTRADICTED, FindingKind.DETECTABILITY_CONTRADICTED]
    ).exists()


def test_the_revised_rating_is_the_one_held_against_the_evidence(team_a, failure_mode):
    """Re-rated to probability 6: three incidents a year (observed 6) agree with it."""
    failure_mode.revised_severity, failure_mode.revised_probability = 5, 6
    failure_mode.revised_detectability = 3
    failure_mode.save()
    incidents(failure_mode, (at(2), minutes(1)), (at(5), minutes(1)), (at(9), minutes(1)))

    refresh_findings(team_a.pk, NOW)

    assert findings(team_a, FindingKind.PROBABILITY_CONTRADICTED) == []


def test_adopting_the_suggestion_updates_the_rating_and_names_the_incidents(
    team_a, alice, failure_mode
):
    made = incidents(failure_mode, (at(2), minutes(1)), (at(5), minutes(1)), (at(9), minutes(1)))
    refresh_findings(team_a.pk, NOW)

    adopt_observed_rating(failure_mode, scale="probability", user=alice, now=NOW)

    failure_mode.refresh_from_db()
    assert failure_mode.probability == 6
    latest = failure_mode_history(failure_mode).entries[0]
    assert latest.who == "alice"
    assert ("Probability", "2", "6") in latest.changes
    ids = ", ".join(f"#{incident.pk}" for incident in made)
    assert latest.note == f"Probability 6 adopted from incidents {ids}"
    refresh_findings(team_a.pk, NOW)
    assert findings(team_a, FindingKind.PROBABILITY_CONTRADICTED) == []


def test_rollups_count_the_contradicted_ratings(team_a, failure_mode):
    """The application's and the tier's rollups count the contradicted probability (3
    incidents a year against 2) and detectability (median 40 min against 3)."""
    from django.utils import timezone

    from registry.analysis.rollups import recompute_team
    from registry.models import ApplicationRollup, TierRollup

    recent = timezone.now()  # the recompute counts back from now
    incidents(
        failure_mode,
        (recent - datetime.timedelta(days=10), minutes(40)),
        (recent - datetime.timedelta(days=40), minutes(40)),
        (recent - datetime.timedelta(days=80), minutes(40)),
    )

    recompute_team(team_a.pk)

    rollup = ApplicationRollup.objects.get(application=failure_mode.step.application)
    expected = {"probability_contradicted": 1, "detectability_contradicted": 1}
    assert {k: v for k, v in rollup.findings_by_kind.items() if k in expected} == expected
    tier = TierRollup.objects.get(team=team_a, tier=failure_mode.step.application.tier)
    assert {k: v for k, v in tier.findings_by_kind.items() if k in expected} == expected


def test_a_refresh_rewrites_only_the_findings_whose_words_changed(team_a, failure_mode):
    """Refreshing with nothing new leaves the stored finding as it was (no rewrite);
    a fourth incident changes its words, and the refresh stores them."""
    incidents(failure_mode, (at(2), minutes(2)), (at(5), minutes(2)), (at(9), minutes(2)))
    refresh_findings(team_a.pk, NOW)
    [first] = findings(team_a, FindingKind.PROBABILITY_CONTRADICTED)

    refresh_findings(team_a.pk, NOW + minutes(10))
    [unchanged] = findings(team_a, FindingKind.PROBABILITY_CONTRADICTED)
    incidents(failure_mode, (at(10), minutes(2)))
    refresh_findings(team_a.pk, NOW + minutes(20))
    [changed] = findings(team_a, FindingKind.PROBABILITY_CONTRADICTED)

    assert (unchanged.message, unchanged.computed_at) == (first.message, NOW)
    assert "4 incidents in the last 12 months suggest 6" in changed.message
    assert changed.computed_at == NOW + minutes(20)
    assert changed.first_seen_at == NOW
