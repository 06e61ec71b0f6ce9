"""A component's availability measured from its incidents: the time it was down over
the evidence window (FMEA_EVIDENCE_WINDOW_DAYS, 365 days by default) against the
window's length.

Down means within an incident linked to the component, from its start to its
resolution (to now while open), clipped to the window. Overlapping incidents are one
outage, counted once: the intervals are merged in SQL (window functions: an interval
that starts after every earlier one has ended opens a new island), whatever their
number.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db import connection
from django.utils import timezone

from registry.analysis.evidence import window_start, window_words

SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class MeasuredAvailability:
    """What a component's incidents over the window say its availability is."""

    component_id: int
    incidents: int  # incidents that were open at some time in the window
    downtime_seconds: int  # their union, clipped to the window
    window_days: int

    @property
    def availability(self) -> Decimal:
        """Percent up, to the four places the availability field holds, rounded down
        (never better than measured)."""
        window = Decimal(self.window_days * SECONDS_PER_DAY)
        up = 100 * (window - self.downtime_seconds) / window
        return up.quantize(Decimal("0.0001"), rounding=ROUND_DOWN)

    @property
    def downtime_hours(self) -> float:
        return round(self.downtime_seconds / 3600, 1)

    @property
    def summary(self) -> str:
        """“99.93 % over 365 days (3 incidents, 6.1 h down)”, as pages and the API say it."""
        incidents = "1 incident" if self.incidents == 1 else f"{self.incidents} incidents"
        percent = self.availability.quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        return (
            f"{percent} % over {self.window_days} days "
            f"({incidents}, {self.downtime_hours:g} h down)"
        )

    @property
    def window(self) -> str:
        return window_words(self.window_days)


def _epoch(column: str) -> str:
    # Seconds since 1970 of a timestamp column, in each database's words.
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {column})"
    return f"((julianday({column}) - 2440587.5) * 86400.0)"


DOWNTIME_SQL = """
WITH spans AS (
    SELECT CASE WHEN {started} > %(since_s)s THEN {started} ELSE %(since_s)s END AS s,
           CASE WHEN i.resolved_at IS NULL OR {resolved} > %(now_s)s
                THEN %(now_s)s ELSE {resolved} END AS e
    FROM registry_incident_components link
    JOIN registry_incident i ON i.id = link.incident_id
    WHERE link.component_id = %(component)s
      AND i.started_at < %(now)s AND (i.resolved_at IS NULL OR i.resolved_at > %(since)s)
), ordered AS (
    SELECT s, e, MAX(e) OVER (ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING
                                                 AND 1 PRECEDING) AS reach
    FROM spans
), islands AS (
    SELECT s, e, SUM(CASE WHEN reach IS NULL OR s > reach THEN 1 ELSE 0 END)
                 OVER (ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS island
    FROM ordered
)
SELECT (SELECT COUNT(*) FROM spans),
       COALESCE((SELECT SUM(e - s) FROM (SELECT MIN(s) AS s, MAX(e) AS e
                                          FROM islands GROUP BY island) merged), 0)
"""


def measured_availability(
    component_id: int,
    *,
    now: datetime.datetime | None = None,
    window_days: int | None = None,
) -> MeasuredAvailability:
    """The component's downtime over the window, from its incidents, in one query."""
    now = now or timezone.now()
    days = window_days or settings.FMEA_EVIDENCE_WINDOW_DAYS
    since = window_start(now, days)
    params = {
        "component": component_id,
        "now": now,
        "since": since,
        "now_s": now.timestamp(),
        "since_s": since.timestamp(),
    }
    sql = DOWNTIME_SQL.format(started=_epoch("i.started_at"), resolved=_epoch("i.resolved_at"))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        incidents, seconds = cursor.fetchone()
    return MeasuredAvailability(
        component_id=component_id,
        incidents=incidents,
        downtime_seconds=round(seconds),
        window_days=days,
    )
