"""Writes of incidents: events from the receivers (idempotent by source and external
id), and adopting the ratings that the incidents of a failure mode suggest."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from registry.analysis.evidence import failure_mode_evidence, window_start
from registry.choices import RatingScaleName
from registry.models import Component, FailureMode, Incident, IncidentReceiver
from registry.models.incidents import check_links

#: history_change_reason holds 100 characters.
REASON_LENGTH = 100


@dataclass(frozen=True)
class IncidentEvent:
    """What one delivery says about an incident, in the register's terms."""

    external_id: str
    title: str
    started_at: datetime.datetime
    detected_at: datetime.datetime | None = None
    resolved_at: datetime.datetime | None = None
    url: str = ""
    severity: str | None = None


def tool_url(url: str) -> str:
    """A link from an alerting tool, kept where it is one the register can show (an
    internal host without a domain, e.g. http://prometheus:9090, is not)."""
    try:
        URLValidator()(url)
    except ValidationError:
        return ""
    return url if len(url) <= 500 else ""


@transaction.atomic
def record_event(
    *,
    team_id: int,
    source: str,
    event: IncidentEvent,
    components: Iterable[Component] = (),
    failure_modes: Iterable[FailureMode] = (),
) -> tuple[Incident, bool]:
    """Create or update the team's incident for this source and external id; returns
    (incident, changed). A replayed delivery finds nothing to change and writes nothing
    (no new history entry, no recompute). Links are only ever added: a person may have
    linked more by hand."""
    components, failure_modes = list(components), list(failure_modes)
    check_links(team_id, components, failure_modes)
    # The row lock serialises two deliveries of the same incident (firing and resolved
    # may arrive together); a new one is caught by the unique constraint below.
    incident = (
        Incident.objects.select_for_update()
        .filter(team_id=team_id, source=source, external_id=event.external_id)
        .exclude(external_id="")  # the unique index's condition: the index serves it
        .first()
    )
    values = {
        "title": event.title[:300],
        "started_at": event.started_at,
        "detected_at": event.detected_at,
        "resolved_at": event.resolved_at,
        "url": tool_url(event.url),
    }
    if event.severity:
        values["severity"] = event.severity
    changed = False
    if incident is None:
        incident = Incident(team_id=team_id, source=source, external_id=event.external_id)
        changed = True
    else:
        # A later delivery never moves the start or the first detection later, nor
        # forgets a resolution (a repeated `firing` after `resolved` reopens nothing).
        values["started_at"] = min(values["started_at"], incident.started_at)
        detections = [t for t in (values["detected_at"], incident.detected_at) if t]
        values["detected_at"] = min(detections) if detections else None
        values["resolved_at"] = values["resolved_at"] or incident.resolved_at
    for name, value in values.items():
        if getattr(incident, name) != value:
            setattr(incident, name, value)
            changed = True
    if changed:
        # Field checks and the order of the times without a query each (an alert storm
        # arrives here); the unique (team, source, external id) is the row lock above
        # and, for two new deliveries at once, the database's constraint.
        incident.clean_fields(exclude=["team"])
        errors = incident.time_errors()
        if errors:
            raise ValidationError(errors)
        incident.save()
    new_components = {c.pk for c in components} - set(
        incident.components.values_list("pk", flat=True)
    )
    new_failure_modes = {f.pk for f in failure_modes} - set(
        incident.failure_modes.values_list("pk", flat=True)
    )
    if new_components:
        incident.components.add(*new_components)
    if new_failure_modes:
        incident.failure_modes.add(*new_failure_modes)
    return incident, changed or bool(new_components or new_failure_modes)


def rotate_receiver_token(*, team_id: int, source: str, user) -> tuple[IncidentReceiver, str]:
    """Issue a new token for the team's receiver of `source` (creating the receiver
    the first time); the old token stops working at once. Returns the token, shown once."""
    receiver = IncidentReceiver.objects.filter(team_id=team_id, source=source).first()
    receiver = receiver or IncidentReceiver(team_id=team_id, source=source)
    token = receiver.issue_token(user)
    receiver.rotated_at = timezone.now()
    receiver.save()
    return receiver, token


def incidents_reason(scale: str, rating: int, incident_ids: list[int]) -> str:
    """The history's note for an adopted rating, naming the incidents (as many as fit)."""
    head = f"{scale.capitalize()} {rating} adopted from incidents "
    named: list[str] = []
    for position, pk in enumerate(incident_ids):
        rest = len(incident_ids) - position - 1
        tail = f" and {rest} more" if rest else ""
        candidate = ", ".join([*named, f"#{pk}"])
        if len(head + candidate + tail) > REASON_LENGTH:
            return head + ", ".join(named) + f" and {len(incident_ids) - position} more"
        named.append(f"#{pk}")
    return head + ", ".join(named)


@transaction.atomic
def adopt_observed_rating(
    failure_mode: FailureMode, *, scale: str, user, now: datetime.datetime | None = None
) -> FailureMode:
    """Set the current probability or detectability to the one its incidents suggest
    (the revised rating where the failure mode was re-rated), with the incidents named
    in the history."""
    now = now or timezone.now()
    if scale not in (RatingScaleName.PROBABILITY, RatingScaleName.DETECTABILITY):
        raise ValidationError({"scale": "Choose probability or detectability."})
    evidence = failure_mode_evidence(
        failure_mode.team_id, failure_mode_ids=[failure_mode.pk], now=now
    ).get(failure_mode.pk)
    observed = evidence.observed(scale) if evidence else None
    if observed is None:
        raise ValidationError({"scale": f"No incidents in the window give a {scale} rating."})
    field = f"revised_{scale}" if failure_mode.revised_severity is not None else scale
    incident_ids = list(
        failure_mode.incidents.filter(
            started_at__gt=window_start(now, evidence.window_days), started_at__lte=now
        )
        .order_by("started_at", "pk")
        .values_list("pk", flat=True)
    )
    setattr(failure_mode, field, observed)
    failure_mode.updated_by = user
    failure_mode._history_user = user
    failure_mode.full_clean()
    failure_mode.save()
    # Named on the version this save wrote (a lapsed sign-off's note would replace it).
    record = failure_mode.history.order_by("-history_id").first()
    record.history_change_reason = incidents_reason(scale, observed, incident_ids)
    record.save(update_fields=["history_change_reason"])
    return failure_mode
