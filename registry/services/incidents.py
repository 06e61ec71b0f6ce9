"""Writes of incidents: events from the receivers (idempotent by source and external
id), and adopting the ratings that the incidents of a failure mode suggest."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.utils import timezone

from registry.analysis.downtime import MeasuredAvailability, measured_availability
from registry.analysis.evidence import failure_mode_evidence, window_start
from registry.analysis.recompute import request_recompute
from registry.choices import AvailabilityBasis, RatingScaleName
from registry.db.bulk import insert_if_new
from registry.models import Component, FailureMode, Incident, IncidentReceiver
from registry.models.incidents import check_links

#: history_change_reason holds 100 characters.
REASON_LENGTH = 100
#: The incident's links, as {field: the link table's column of the linked row}.
LINK_FIELDS = {"components": "component_id", "failure_modes": "failuremode_id"}


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


@functools.cache
def _link_sql() -> tuple[str, dict[str, str]]:
    """The SELECT of an incident's links of every kind (parameter: the incident, once
    per kind), and per link field the INSERT of links (`rows`: their VALUES) returning
    their ids. Written once from the models: an alert storm runs them for every
    delivery, and building them through the ORM costs more than running them."""
    quote = connection.ops.quote_name
    selects, inserts = [], {}
    for field, target in LINK_FIELDS.items():
        table = quote(getattr(Incident, field).through._meta.db_table)
        selects.append(
            f"SELECT '{field}', {quote('id')}, {quote(target)} FROM {table} "
            f"WHERE {quote('incident_id')} = %s"
        )
        inserts[field] = (
            f"INSERT INTO {table} ({quote('incident_id')}, {quote(target)}) VALUES {{rows}} "
            f"RETURNING {quote('id')}, {quote(target)}"
        )
    return " UNION ALL ".join(selects), inserts


def _links(incident_id: int) -> dict[str, dict[int, int]]:
    """The incident's links as {field: {linked id: link row id}}, in one query."""
    links: dict[str, dict[int, int]] = {field: {} for field in LINK_FIELDS}
    with connection.cursor() as cursor:
        cursor.execute(_link_sql()[0], [incident_id] * len(LINK_FIELDS))
        for field, link_id, target_id in cursor.fetchall():
            links[field][target_id] = link_id
    return links


def _add_links(incident_id: int, field: str, target_ids: list[int]) -> dict[int, int]:
    """Link the incident to `target_ids` by `field`, in one statement; returns {linked
    id: link row id}."""
    if not target_ids:
        return {}
    rows = ", ".join(["(%s, %s)"] * len(target_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            _link_sql()[1][field].format(rows=rows),
            [value for target_id in target_ids for value in (incident_id, target_id)],
        )
        return {target_id: link_id for link_id, target_id in cursor.fetchall()}


@functools.cache
def _history_sql() -> tuple[str, dict[str, str]]:
    """The INSERT of one version of an incident, copied from its stored row (returning
    the version's id), and per link field the INSERT of that version's links, copied
    from the link table; written once from the models, as simple-history lays them out."""
    quote = connection.ops.quote_name
    history = Incident.history.model
    columns = ", ".join(quote(field.column) for field in Incident._meta.concrete_fields)
    version = (
        f"INSERT INTO {quote(history._meta.db_table)} "
        f"({columns}, {quote('history_date')}, {quote('history_type')}) "
        f"SELECT {columns}, %s, %s FROM {quote(Incident._meta.db_table)} "
        f"WHERE {quote('id')} = %s RETURNING {quote(history._meta.pk.column)}"
    )
    links = {}
    for field, target in LINK_FIELDS.items():
        model = history._meta.get_field(f"historicalincident_{field}").related_model
        through = getattr(Incident, field).through._meta.db_table
        copied = ", ".join(quote(name) for name in ("id", "incident_id", target))
        links[field] = (
            f"INSERT INTO {quote(model._meta.db_table)} ({copied}, {quote('history_id')}) "
            f"SELECT {copied}, %s FROM {quote(through)} WHERE {quote('incident_id')} = %s"
        )
    return version, links


def _record_history(incident_id: int, history_type: str, links: dict[str, dict[int, int]]):
    """One version of the incident with all its links, copied from the stored rows in
    one statement per table (simple-history's signals would write a version per save
    and per link added, reading the links back each time)."""
    version, link_copies = _history_sql()
    with connection.cursor() as cursor:
        cursor.execute(version, [timezone.now(), history_type, incident_id])
        history_id = cursor.fetchone()[0]
        for field, copy in link_copies.items():
            if links[field]:
                cursor.execute(copy, [history_id, incident_id])


@functools.cache
def _stored_sql() -> str:
    """The stored incident of a team, source and external id, locked: the row lock
    serialises two deliveries of the same incident (firing and resolved may arrive
    together). Written once: an alert storm's updates and replays run it every time."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in Incident._meta.concrete_fields)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return (
        f"SELECT {columns} FROM {quote(Incident._meta.db_table)} "
        f"WHERE {quote('team_id')} = %s AND {quote('source')} = %s "
        # The unique index's condition, so that the index serves it.
        f"AND {quote('external_id')} = %s AND {quote('external_id')} <> ''{lock}"
    )


@transaction.atomic(savepoint=False)
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
    linked more by hand.

    Alert storms arrive here (bench/receivers.py): a new incident is one INSERT … ON
    CONFLICT, its links one INSERT per kind and its history one version; a replay reads
    the row and its links and writes nothing."""
    components, failure_modes = list(components), list(failure_modes)
    check_links(team_id, components, failure_modes)
    wanted = {
        "components": {component.pk for component in components},
        "failure_modes": {failure_mode.pk for failure_mode in failure_modes},
    }
    incident = Incident(
        team_id=team_id,
        source=source,
        external_id=event.external_id,
        title=event.title[:300],
        started_at=event.started_at,
        detected_at=event.detected_at,
        resolved_at=event.resolved_at,
        url=tool_url(event.url),
        **({"severity": event.severity} if event.severity else {}),
    )
    # Field checks and the order of the times without a query each. A merge with the
    # stored row keeps them in order: it only moves the start and detection earlier.
    incident.clean_fields(exclude=["team"])
    errors = incident.time_errors()
    if errors:
        raise ValidationError(errors)
    if insert_if_new(incident):
        history_type, changed = "+", True
        links: dict[str, dict[int, int]] = {field: {} for field in LINK_FIELDS}
    else:
        stored = next(
            iter(Incident.objects.raw(_stored_sql(), [team_id, source, event.external_id]))
        )
        history_type, changed = "~", _merge(stored, incident, event.severity)
        incident = stored
        links = _links(incident.pk)
    for field in LINK_FIELDS:
        added = _add_links(incident.pk, field, sorted(wanted[field] - set(links[field])))
        links[field].update(added)
        changed = changed or bool(added)
    if changed:
        _record_history(incident.pk, history_type, links)
        request_recompute(team_id)
    return incident, changed


def _merge(stored: Incident, delivered: Incident, severity: str | None) -> bool:
    """Bring what a later delivery says into the stored incident, and write it if that
    changes anything. A later delivery never moves the start or the first detection
    later, nor forgets a resolution (a repeated `firing` after `resolved` reopens
    nothing), nor resets a severity it does not state."""
    detections = [t for t in (delivered.detected_at, stored.detected_at) if t]
    values = {
        "title": delivered.title,
        "url": delivered.url,
        "started_at": min(delivered.started_at, stored.started_at),
        "detected_at": min(detections) if detections else None,
        "resolved_at": delivered.resolved_at or stored.resolved_at,
        "severity": severity or stored.severity,
    }
    changes = {name: value for name, value in values.items() if getattr(stored, name) != value}
    if not changes:
        return False
    for name, value in changes.items():
        setattr(stored, name, value)
    stored.updated_at = timezone.now()
    # An UPDATE without the save signals: the caller writes the one history version.
    Incident.objects.filter(pk=stored.pk).update(**changes, updated_at=stored.updated_at)
    return True


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


@transaction.atomic
def adopt_measured_availability(
    component: Component, *, user, now: datetime.datetime | None = None
) -> MeasuredAvailability:
    """Make the availability its incidents measure over the evidence window the
    component's figure (basis measured, over the window's days), noted in its history."""
    measured = measured_availability(component.pk, now=now)
    if not measured.incidents:
        raise ValidationError(
            {
                "availability": f"No incidents of this component in {measured.window}: "
                "nothing measured."
            }
        )
    component.availability = measured.availability
    component.availability_basis = AvailabilityBasis.MEASURED
    component.availability_measured_over_days = measured.window_days
    component._history_user = user
    component._change_reason = f"Availability measured from incidents: {measured.summary}"[
        :REASON_LENGTH
    ]
    component.full_clean()
    component.save()
    return measured
