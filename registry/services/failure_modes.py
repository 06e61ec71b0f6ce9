"""Writes of several failure modes at once: all of them or none."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from registry.models import Component, FailureMode, FailureModeTemplate, Step

#: The worksheet columns a library template fills in.
TEMPLATE_FIELDS = (
    "mode",
    "failure_category",
    "effect",
    "cause",
    "prevention_controls",
    "detection_controls",
    "severity",
    "probability",
    "detectability",
)


def failure_mode_save(failure_mode: FailureMode, *, user) -> FailureMode:
    """Save a new failure mode as made by `user`: who created it and who changed it last,
    and the same user on its first history record (also outside a request)."""
    failure_mode.created_by = user
    failure_mode.updated_by = user
    failure_mode._history_user = user
    failure_mode.save()
    return failure_mode


@transaction.atomic
def failure_modes_bulk_create(*, user, rows: Sequence[Mapping[str, Any]]) -> list[FailureMode]:
    """Create one failure mode per row of field values, every one or none.

    The rows are values that passed the model's full_clean() (the API's serializer runs
    it on every item, so that each error names its item); they are not validated again.
    """
    return [failure_mode_save(FailureMode(**row), user=user) for row in rows]


def duplicates_within(rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Indexes of rows repeating an earlier row's step, component and mode text (the
    database's unique constraint, checked before a batch whose rows cannot see each
    other in validation)."""
    seen: set[tuple] = set()
    repeated = []
    for index, row in enumerate(rows):
        key = (row.get("step"), row.get("component"), str(row.get("mode", "")).casefold())
        if key in seen:
            repeated.append(index)
        seen.add(key)
    return repeated


@transaction.atomic
def failure_modes_from_templates(
    *,
    step: Step,
    templates: Iterable[FailureModeTemplate],
    component: Component | None,
    user,
) -> list[FailureMode]:
    """One failure mode of `step` per library template, with its suggested ratings; every
    one or none."""
    created = []
    for template in templates:
        failure_mode = FailureMode(
            step=step,
            team_id=step.application.team_id,
            component=component,
            **{name: getattr(template, name) for name in TEMPLATE_FIELDS},
        )
        try:
            failure_mode.full_clean()
        except ValidationError as error:
            # Which template it was: the step may have ticked several.
            raise ValidationError(
                {
                    name: [f"{template.mode}: {message}" for message in messages]
                    for name, messages in error.message_dict.items()
                }
            ) from error
        created.append(failure_mode_save(failure_mode, user=user))
    return created
