"""The register's posture for Prometheus, and the /metrics endpoint.

The posture gauges are read at each scrape from what the recompute stores: the tier
rollups, the findings (counted with one GROUP BY on their team index) and each team's
recompute row. A scrape never walks the register itself, so its cost follows the number
of teams and tiers, not of failure modes.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from fmea.metrics import process_registry
from registry.choices import ActionPriority
from registry.models import Finding, TeamRecompute, TierRollup

NO_TIER = "none"


def _gauge(name: str, documentation: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=labels)


class PostureCollector(Collector):
    """Gauges per team (its slug) and tier (its level)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        failure_modes = _gauge(
            "fmea_failure_modes",
            "Failure modes by current action priority (revised where re-rated).",
            ["team", "tier", "action_priority"],
        )
        open_failure_modes = _gauge(
            "fmea_open_failure_modes", "Failure modes open or being mitigated.", ["team", "tier"]
        )
        rpn_max = _gauge(
            "fmea_rpn_max", "Highest RPN of the tier's failure modes.", ["team", "tier"]
        )
        overdue = _gauge(
            "fmea_overdue_actions", "Open actions past their due date.", ["team", "tier"]
        )
        rollups = TierRollup.objects.values_list(
            "team__slug",
            "tier__level",
            "open_count",
            "rpn_max",
            "overdue_action_count",
            *(f"current_ap_{p.name.lower()}_count" for p in ActionPriority),
        ).order_by("team__slug", "tier__level")
        for slug, level, open_count, max_rpn, overdue_count, *by_priority in rollups:
            labels = [slug, str(level)]
            for priority, count in zip(ActionPriority, by_priority, strict=True):
                failure_modes.add_metric([*labels, priority.value], count)
            open_failure_modes.add_metric(labels, open_count)
            rpn_max.add_metric(labels, max_rpn or 0)
            overdue.add_metric(labels, overdue_count)
        yield from (failure_modes, open_failure_modes, rpn_max, overdue)

        findings = _gauge(
            "fmea_open_findings",
            "Findings not set aside, by kind and severity.",
            ["team", "tier", "kind", "severity"],
        )
        counted = (
            Finding.objects.unsuppressed()
            .values_list("team__slug", "tier__level", "kind", "severity")
            .annotate(count=Count("id"))
            .order_by()
        )
        for slug, level, kind, severity, count in counted:
            findings.add_metric([slug, str(level) if level else NO_TIER, kind, severity], count)
        yield findings

        age = _gauge(
            "fmea_recompute_age_seconds",
            "Seconds since the team's findings and rollups were last recomputed.",
            ["team"],
        )
        duration = _gauge(
            "fmea_recompute_duration_seconds", "How long the last recompute took.", ["team"]
        )
        dirty = _gauge(
            "fmea_recompute_pending", "1 while a change waits for its recompute.", ["team"]
        )
        now = timezone.now()
        for slug, computed_at, duration_ms, is_dirty in TeamRecompute.objects.values_list(
            "team__slug", "computed_at", "duration_ms", "dirty"
        ):
            if computed_at is not None:
                age.add_metric([slug], (now - computed_at).total_seconds())
            if duration_ms is not None:
                duration.add_metric([slug], duration_ms / 1000)
            dirty.add_metric([slug], int(is_dirty))
        yield from (age, duration, dirty)


POSTURE = PostureCollector()


def client_allowed(request: HttpRequest) -> bool:
    """A bearer token equal to METRICS_TOKEN, or a client address in METRICS_ALLOWED_IPS
    (addresses or networks). With neither configured, nobody is."""
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    presented = header.removeprefix("Bearer ").encode()
    if token and header.startswith("Bearer ") and hmac.compare_digest(presented, token.encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition: the processes' request and task figures, and the posture."""
    if not client_allowed(request):
        response = HttpResponse(
            "Metrics need a bearer token or an allowed address.\n",
            status=401 if settings.METRICS_TOKEN else 403,
            content_type="text/plain",
        )
        if settings.METRICS_TOKEN:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = process_registry()
    body = generate_latest(registry) + generate_latest(PostureRegistry())
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


class PostureRegistry:
    """A registry of the posture collector alone, for `generate_latest`."""

    def collect(self):
        return POSTURE.collect()
