"""Evidence against ratings: what the incidents linked to a failure mode say its
probability and detectability are.

Over a window (FMEA_EVIDENCE_WINDOW_DAYS, 365 by default) the observed frequency is
incidents × 365 / window days a year, and the observed probability the highest rating
whose band starts at or below it (RatingScale.min_per_year). The median time to detect
(detected − started, over the incidents with a detection time; the mean of the two
middle ones for an even count) gives the observed detectability: the lowest rating
whose `max_detect_seconds` allows it (an empty limit allows anything). Both are computed
by one SQL statement, window functions for the median, whatever the number of incidents.

The rating held against the evidence is the current one: the revised rating where the
failure mode was re-rated, else the initial one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from registry.choices import FindingKind, RatingScaleName
from registry.models import Application, Finding, Incident

DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class Evidence:
    """What the incidents of one failure mode within the window say."""

    failure_mode_id: int
    incidents: int
    median_detect_seconds: int | None  # None: no incident has a detection time
    observed_probability: int | None  # None: the scale has no bands
    observed_detectability: int | None
    probability: int  # the current ratings the evidence is held against
    detectability: int
    window_days: int

    def contradicts(self, scale: str, margin: int | None = None) -> bool:
        """Whether the observed rating is worse than the current one by the margin."""
        margin = settings.FMEA_EVIDENCE_MARGIN if margin is None else margin
        observed, rated = self.observed(scale), self.rated(scale)
        return observed is not None and observed - rated >= margin

    def observed(self, scale: str) -> int | None:
        if scale == RatingScaleName.PROBABILITY:
            return self.observed_probability
        return self.observed_detectability

    def rated(self, scale: str) -> int:
        if scale == RatingScaleName.PROBABILITY:
            return self.probability
        return self.detectability

    @property
    def per_year(self) -> float:
        return self.incidents * DAYS_PER_YEAR / self.window_days


def window_start(now: datetime.datetime, window_days: int) -> datetime.datetime:
    return now - datetime.timedelta(days=window_days)


def _detect_seconds_sql() -> str:
    # Seconds from start to detection, rounded, in each database's words.
    if connection.vendor == "postgresql":
        return "ROUND(EXTRACT(EPOCH FROM (i.detected_at - i.started_at)))"
    return "ROUND((julianday(i.detected_at) - julianday(i.started_at)) * 86400.0)"


EVIDENCE_SQL = """
WITH recent AS (
    SELECT link.failuremode_id AS fm, {seconds} AS ttd
    FROM registry_incident_failure_modes link
    JOIN registry_incident i ON i.id = link.incident_id
    WHERE i.team_id = %(team)s AND i.started_at > %(since)s AND i.started_at <= %(now)s
    {only}
), counts AS (
    SELECT fm, COUNT(*) AS incidents FROM recent GROUP BY fm
), ranked AS (
    SELECT fm, ttd,
           ROW_NUMBER() OVER (PARTITION BY fm ORDER BY ttd) AS rn,
           COUNT(*) OVER (PARTITION BY fm) AS n
    FROM recent WHERE ttd IS NOT NULL
), medians AS (
    -- the middle row (odd count) or the two middle rows (even count)
    SELECT fm, AVG(ttd) AS median FROM ranked WHERE 2 * rn BETWEEN n AND n + 2 GROUP BY fm
)
SELECT c.fm, c.incidents, ROUND(m.median),
    (SELECT MAX(s.rating) FROM registry_ratingscale s
      WHERE s.scale = 'probability' AND s.min_per_year IS NOT NULL
        AND s.min_per_year <= c.incidents * 365.0 / %(days)s),
    (SELECT MIN(s.rating) FROM registry_ratingscale s
      WHERE s.scale = 'detectability' AND m.median IS NOT NULL
        AND (s.max_detect_seconds IS NULL OR s.max_detect_seconds >= m.median)
        AND EXISTS (SELECT 1 FROM registry_ratingscale b
                     WHERE b.scale = 'detectability' AND b.max_detect_seconds IS NOT NULL)),
    COALESCE(f.revised_probability, f.probability),
    COALESCE(f.revised_detectability, f.detectability)
FROM counts c
JOIN registry_failuremode f ON f.id = c.fm
LEFT JOIN medians m ON m.fm = c.fm
ORDER BY c.fm
"""


def failure_mode_evidence(
    team_id: int,
    *,
    failure_mode_ids: list[int] | None = None,
    now: datetime.datetime | None = None,
    window_days: int | None = None,
) -> dict[int, Evidence]:
    """The evidence for each of the team's failure modes (or of those listed) that has
    incidents in the window, by failure mode id."""
    now = now or timezone.now()
    days = window_days or settings.FMEA_EVIDENCE_WINDOW_DAYS
    params = {"team": team_id, "since": window_start(now, days), "now": now, "days": days}
    only = ""
    if failure_mode_ids is not None:
        if not failure_mode_ids:
            return {}
        keys = [f"fm{index}" for index in range(len(failure_mode_ids))]
        params |= dict(zip(keys, failure_mode_ids, strict=True))
        only = "AND link.failuremode_id IN (" + ", ".join(f"%({key})s" for key in keys) + ")"
    sql = EVIDENCE_SQL.format(seconds=_detect_seconds_sql(), only=only)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {
        row[0]: Evidence(
            failure_mode_id=row[0],
            incidents=row[1],
            median_detect_seconds=None if row[2] is None else int(row[2]),
            observed_probability=row[3],
            observed_detectability=row[4],
            probability=row[5],
            detectability=row[6],
            window_days=days,
        )
        for row in rows
    }


def window_words(days: int) -> str:
    """“the last 12 months” for a year, else the days."""
    if days == DAYS_PER_YEAR:
        return "the last 12 months"
    return f"the last {days} days"


def duration_words(seconds: int) -> str:
    """A time to detect as a person says it: 45 seconds, 40 minutes, 3.5 hours, 2 days."""
    if seconds < 120:
        return f"{seconds} seconds"
    if seconds < 2 * 3600:
        return f"{round(seconds / 60)} minutes"
    if seconds < 2 * 86400:
        return f"{round(seconds / 3600, 1):g} hours"
    return f"{round(seconds / 86400, 1):g} days"


@dataclass(frozen=True)
class ApplicationIncidents:
    """An application's incidents over the window: those linked to any of its failure
    modes, each counted once however many of them it touched."""

    application_id: int
    application: str
    incidents: int
    downtime_seconds: int  # resolved − started, over the resolved ones
    data_lost_seconds: int
    contradicted: int  # contradicted probability and detectability ratings


def application_incidents(
    team_id: int,
    application_ids: tuple[int, ...] = (),
    *,
    now: datetime.datetime | None = None,
    window_days: int | None = None,
) -> list[ApplicationIncidents]:
    """Per application of the team (or those listed), in one query of correlated
    aggregates: incidents in the window, their downtime and data lost, and the stored
    contradicted-rating findings."""
    now = now or timezone.now()
    days = window_days or settings.FMEA_EVIDENCE_WINDOW_DAYS
    touching = Incident.objects.filter(
        team_id=team_id, started_at__gt=window_start(now, days), started_at__lte=now
    ).filter(
        Exists(
            Incident.failure_modes.through.objects.filter(
                incident_id=OuterRef("pk"),
                failuremode__step__application_id=OuterRef(OuterRef("pk")),
            )
        )
    )

    def total(expression, output_field):
        return Subquery(
            touching.order_by()  # no ORDER BY beside the aggregate
            .annotate(group=Value(1))
            .values("group")
            .annotate(total=expression)
            .values("total"),
            output_field=output_field,
        )

    downtime = ExpressionWrapper(F("resolved_at") - F("started_at"), output_field=DurationField())
    rows = (
        Application.objects.filter(team_id=team_id)
        .annotate(
            incident_count=Coalesce(total(Count("pk"), IntegerField()), 0),
            downtime=total(Sum(downtime), DurationField()),
            data_lost=Coalesce(total(Sum("data_lost_seconds"), IntegerField()), 0),
            contradicted=Coalesce(
                Subquery(
                    Finding.objects.filter(
                        application_id=OuterRef("pk"),
                        kind__in=[
                            FindingKind.PROBABILITY_CONTRADICTED,
                            FindingKind.DETECTABILITY_CONTRADICTED,
                        ],
                    )
                    .values("application_id")
                    .annotate(n=Count("pk"))
                    .values("n"),
                    output_field=IntegerField(),
                ),
                0,
            ),
        )
        .order_by("tier__level", "name")
        .values("id", "name", "incident_count", "downtime", "data_lost", "contradicted")
    )
    if application_ids:
        rows = rows.filter(pk__in=application_ids)
    return [
        ApplicationIncidents(
            application_id=row["id"],
            application=row["name"],
            incidents=row["incident_count"],
            downtime_seconds=int(row["downtime"].total_seconds()) if row["downtime"] else 0,
            data_lost_seconds=row["data_lost"],
            contradicted=row["contradicted"],
        )
        for row in rows
    ]
