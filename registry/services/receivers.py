"""What the alerting tools' webhooks say, as incidents of the register.

- Prometheus Alertmanager, webhook payload version 4: one incident per alert group
  (the group key's fingerprint and the group's first `startsAt`, so the same group
  firing again after it was resolved is a new occurrence). `firing` opens it, detected
  when the first notification arrives; `resolved` closes it at the last `endsAt`. The
  component comes from a label (the receiver's `component_label`, `fmea_component` by
  default) matched by component name or slug; the failure mode from an optional
  `fmea_failure_mode` label holding its id.
- PagerDuty webhooks v3: `incident.triggered`, `incident.acknowledged` and
  `incident.resolved` events; the incident's service is mapped to a component once
  (PagerDutyService). The signature is checked by the caller before this runs.

A payload that does not have the vendor's shape is refused whole (ValidationError),
before anything is written.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from registry.choices import IncidentSeverity, IncidentSource
from registry.models import Component, FailureMode, IncidentReceiver, PagerDutyService
from registry.services.incidents import IncidentEvent, record_event

FAILURE_MODE_LABEL = "fmea_failure_mode"
PAGERDUTY_EVENTS = ("incident.triggered", "incident.acknowledged", "incident.resolved")
#: Alertmanager and PagerDuty words for how bad it is, in the register's.
SEVERITIES = {
    "critical": IncidentSeverity.CRITICAL,
    "page": IncidentSeverity.CRITICAL,
    "error": IncidentSeverity.HIGH,
    "high": IncidentSeverity.HIGH,
    "warning": IncidentSeverity.MEDIUM,
    "medium": IncidentSeverity.MEDIUM,
    "info": IncidentSeverity.LOW,
    "low": IncidentSeverity.LOW,
}


@dataclass
class Delivery:
    """The outcome of one delivery, as the receiver answers it."""

    incident_id: int | None = None
    changed: bool = False
    ignored: str = ""
    unmatched: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "incident": self.incident_id,
            "changed": self.changed,
            "ignored": self.ignored or None,
            "unmatched": self.unmatched,
        }


def signature_valid(secret: str, body: bytes, header: str) -> bool:
    """PagerDuty's `X-PagerDuty-Signature`: one or more `v1=<hex HMAC-SHA256 of the
    body>`, comma-separated (several while a secret is being rotated)."""
    if not secret or not header:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return any(
        hmac.compare_digest(part.strip().removeprefix("v1="), expected)
        for part in header.split(",")
        if part.strip().startswith("v1=")
    )


def _time(value, where: str) -> datetime.datetime:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None or parsed.tzinfo is None:
        raise ValidationError({where: "Give an RFC 3339 time with its offset."})
    return parsed


def _mapping(value, where: str) -> dict:
    if not isinstance(value, dict):
        raise ValidationError({where: "Expected an object."})
    return value


def components_named(team_id: int, names: set[str]) -> tuple[list[Component], list[str]]:
    """The team's components whose name (any case) or slug is one of `names`, and the
    names that match none."""
    if not names:
        return [], []
    lowered = {name.lower() for name in names}
    # One query: a slug is not stored, so the names are matched here.
    rows = list(
        Component.objects.filter(team_id=team_id)
        .order_by()  # unordered: no join to the team for its ordering
        .only("id", "team_id", "name")
        .annotate(lower=Lower("name"))
    )
    found = [row for row in rows if row.lower in lowered or slugify(row.name) in names]
    known = {row.lower for row in found} | {slugify(row.name) for row in found}
    return found, sorted(name for name in names if name.lower() not in known)


def _failure_modes(team_id: int, ids: set[str]) -> list[FailureMode]:
    if not ids:
        return []
    if not all(value.isdigit() for value in ids):
        raise ValidationError({FAILURE_MODE_LABEL: "The label holds a failure mode's id."})
    found = list(FailureMode.objects.filter(team_id=team_id, pk__in=[int(v) for v in ids]))
    if len(found) != len(ids):
        missing = sorted(ids - {str(row.pk) for row in found})
        raise ValidationError(
            {FAILURE_MODE_LABEL: f"No failure mode {', '.join(missing)} in the team."}
        )
    return found


@transaction.atomic
def receive_alertmanager(
    receiver: IncidentReceiver, payload, received_at: datetime.datetime
) -> Delivery:
    """Record an Alertmanager webhook (version 4) as the group's incident."""
    payload = _mapping(payload, "payload")
    if payload.get("version") != "4":
        raise ValidationError({"version": "Only webhook payload version 4 is understood."})
    status = payload.get("status")
    if status not in ("firing", "resolved"):
        raise ValidationError({"status": "Expected firing or resolved."})
    group_key = payload.get("groupKey")
    if not isinstance(group_key, str) or not group_key:
        raise ValidationError({"groupKey": "Missing."})
    alerts = payload.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise ValidationError({"alerts": "Expected a list of at least one alert."})
    labels: list[dict] = []
    starts, ends = [], []
    for index, alert in enumerate(alerts):
        alert = _mapping(alert, f"alerts[{index}]")
        labels.append(_mapping(alert.get("labels", {}), f"alerts[{index}].labels"))
        starts.append(_time(alert.get("startsAt"), f"alerts[{index}].startsAt"))
        if status == "resolved":
            ends.append(_time(alert.get("endsAt"), f"alerts[{index}].endsAt"))
    common = _mapping(payload.get("commonLabels", {}), "commonLabels")
    annotations = _mapping(payload.get("commonAnnotations", {}), "commonAnnotations")
    started = min(starts)
    fingerprint = hashlib.sha256(group_key.encode()).hexdigest()[:32]
    team_id = receiver.team_id
    component_names = {
        str(value) for row in labels if (value := row.get(receiver.component_label))
    }
    components, unmatched = components_named(team_id, component_names)
    failure_modes = _failure_modes(
        team_id, {str(value) for row in labels if (value := row.get(FAILURE_MODE_LABEL))}
    )
    first_url = next((a.get("generatorURL") for a in alerts if a.get("generatorURL")), "")
    event = IncidentEvent(
        external_id=f"{fingerprint}:{int(started.timestamp())}",
        title=str(
            annotations.get("summary")
            or common.get("alertname")
            or labels[0].get("alertname")
            or "Alertmanager alert group"
        ),
        started_at=started,
        detected_at=max(received_at, started),
        resolved_at=max(ends) if ends else None,
        url=str(first_url or payload.get("externalURL") or ""),
        severity=SEVERITIES.get(str(common.get("severity", "")).lower()),
    )
    incident, changed = record_event(
        team_id=team_id,
        source=IncidentSource.ALERTMANAGER,
        event=event,
        components=components,
        failure_modes=failure_modes,
    )
    return Delivery(incident.pk, changed, unmatched=unmatched)


@transaction.atomic
def receive_pagerduty(receiver: IncidentReceiver, payload) -> Delivery:
    """Record a PagerDuty v3 webhook event about an incident (others are ignored)."""
    event = _mapping(_mapping(payload, "payload").get("event"), "event")
    kind = event.get("event_type")
    if not isinstance(kind, str):
        raise ValidationError({"event.event_type": "Missing."})
    if kind not in PAGERDUTY_EVENTS:
        return Delivery(ignored=f"{kind} is not recorded.")
    data = _mapping(event.get("data"), "event.data")
    incident_id = data.get("id")
    if not isinstance(incident_id, str) or not incident_id:
        raise ValidationError({"event.data.id": "Missing."})
    created = _time(data.get("created_at"), "event.data.created_at")
    occurred = _time(event.get("occurred_at"), "event.occurred_at")
    service = _mapping(data.get("service", {}), "event.data.service")
    mapped = PagerDutyService.objects.filter(
        team_id=receiver.team_id, service_id=str(service.get("id", ""))
    ).select_related("component")
    components = [row.component for row in mapped]
    unmatched = [] if components or not service.get("id") else [str(service["id"])]
    incident, changed = record_event(
        team_id=receiver.team_id,
        source=IncidentSource.PAGERDUTY,
        event=IncidentEvent(
            external_id=incident_id,
            title=str(data.get("title") or f"PagerDuty incident {incident_id}"),
            # The page is the detection; PagerDuty knows no earlier start.
            started_at=created,
            detected_at=created,
            resolved_at=max(occurred, created) if kind == "incident.resolved" else None,
            url=str(data.get("html_url") or ""),
            severity=SEVERITIES.get(str(data.get("urgency", "")).lower()),
        ),
        components=components,
    )
    return Delivery(incident.pk, changed, unmatched=unmatched)
