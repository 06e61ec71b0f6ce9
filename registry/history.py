"""A failure mode's change history as a person reads it: who changed what, when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model

from registry import scoring
from registry.models import Component, FailureMode, Step
from registry.models.failure_modes import WORKSHEET_FIELDS

#: Fields of a failure mode whose changes the history shows, in worksheet order.
HISTORY_FIELDS = ("step", *WORKSHEET_FIELDS, "accepted_by", "review_signed_off_at")


@dataclass(frozen=True)
class HistoryEntry:
    """One saved version: who, when, and what changed from the version before."""

    when: datetime
    who: str
    kind: str  # created, changed or deleted
    version: int
    changes: tuple[tuple[str, str, str], ...]  # (field label, before, after)
    note: str = ""  # why the save changed more than was asked (a lapsed sign-off)


@dataclass(frozen=True)
class FailureModeHistory:
    entries: list[HistoryEntry]  # newest first
    rpn_points: list[tuple[datetime, int, int | None]]  # oldest first, for the chart


def failure_mode_history(failure_mode: FailureMode, limit: int = 200) -> FailureModeHistory:
    """The latest `limit` versions of a failure mode with their changes (two queries, and
    one more where someone accepted the risk).

    History rows hold the ratings but not the generated columns, so the RPN of each
    version is computed here with registry.scoring.
    """
    records = list(
        failure_mode.history.select_related("history_user").order_by(
            "-history_date", "-history_id"
        )[:limit]
    )[::-1]
    component_ids = {record.component_id for record in records} - {None}
    step_ids = {record.step_id for record in records} - {None}
    names = {
        ("component", pk): name
        for pk, name in Component.objects.filter(pk__in=component_ids).values_list("pk", "name")
    } | {
        ("step", pk): name
        for pk, name in Step.objects.filter(pk__in=step_ids).values_list("pk", "name")
    }
    accepter_ids = {record.accepted_by_id for record in records} - {None}
    if accepter_ids:
        names |= {
            ("accepted_by", pk): name
            for pk, name in get_user_model()
            .objects.filter(pk__in=accepter_ids)
            .values_list("pk", "username")
        }
    entries, points, previous = [], [], None
    for record in records:
        changes = tuple(
            (_label(name), _shown(previous, name, names), _shown(record, name, names))
            for name in HISTORY_FIELDS
            if previous is not None and _raw(previous, name) != _raw(record, name)
        )
        who = record.history_user.get_username() if record.history_user else "system"
        kind = {"+": "created", "-": "deleted"}.get(record.history_type, "changed")
        entries.append(
            HistoryEntry(
                record.history_date,
                who,
                kind,
                record.version,
                changes,
                record.history_change_reason or "",
            )
        )
        ratings = (record.severity, record.probability, record.detectability)
        revised = (
            record.revised_severity,
            record.revised_probability,
            record.revised_detectability,
        )
        points.append(
            (
                record.history_date,
                scoring.rpn(*ratings),
                scoring.rpn(*revised) if None not in revised else None,
            )
        )
        previous = record
    return FailureModeHistory(entries=entries[::-1], rpn_points=points)


def _label(name: str) -> str:
    return str(FailureMode._meta.get_field(name).verbose_name).capitalize()


def _raw(record, name: str):
    return getattr(record, FailureMode._meta.get_field(name).attname)


def _shown(record, name: str, names: dict) -> str:
    if record is None:
        return ""
    value = _raw(record, name)
    field_ = FailureMode._meta.get_field(name)
    if value in (None, ""):
        return "—"
    if field_.is_relation:
        return names.get((name, value), f"#{value}")
    if field_.choices:
        return str(dict(field_.choices).get(value, value))
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    return str(value)
