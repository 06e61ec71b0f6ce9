"""One ordering vocabulary for the register's lists: the sort keys of the browser's
tables and the terms of the API's `?ordering=`.

Choice columns sort by rank (action priority L < M < H, status in lifecycle order), not
alphabetically; empty values sort last in either direction; the id breaks ties.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Case, F, IntegerField, QuerySet, Value, When

from registry.choices import FailureModeStatus
from registry.models import FailureMode
from registry.models.base import may_be_empty


def order_term(model: type[models.Model], expression, *, descending: bool):
    """An ORDER BY term that sorts empty values last in either direction (PostgreSQL
    and SQLite disagree otherwise). A column of the model that is never empty is
    ordered plainly, so that an index such as (team, -rpn, id) serves the order."""
    if isinstance(expression, models.F) and "__" not in expression.name:
        try:
            field = model._meta.get_field(expression.name)
        except FieldDoesNotExist:
            field = None  # an annotation
        if field is not None and not may_be_empty(field):
            return f"-{expression.name}" if descending else expression.name
    return expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)


def ranked(field_name: str, values: Iterable[str]) -> Case:
    """An integer rank of a choice column, in the order given (NULL when empty)."""
    return Case(
        *(When(**{field_name: value}, then=Value(rank)) for rank, value in enumerate(values)),
        default=None,
        output_field=IntegerField(),
    )


#: Sort keys of the failure-mode tables: the column name in the URL → the SQL to order by.
FAILURE_MODE_SORTS = {
    "component": F("component__name"),
    "mode": F("mode"),
    "category": F("failure_category"),
    "effect": F("effect"),
    "cause": F("cause"),
    "prevention": F("prevention_controls"),
    "detection": F("detection_controls"),
    "severity": F("severity"),
    "probability": F("probability"),
    "detectability": F("detectability"),
    "rpn": F("rpn"),
    "ap": ranked("action_priority", ["L", "M", "H"]),
    "status": ranked("status", FailureModeStatus.values),
    "actions": F("open_action_count"),
    "revised_severity": F("revised_severity"),
    "revised_probability": F("revised_probability"),
    "revised_detectability": F("revised_detectability"),
    "revised_rpn": F("revised_rpn"),
    "revised_ap": ranked("revised_action_priority", ["L", "M", "H"]),
    "application": F("step__application__name"),
    "step": F("step__name"),
    "tier": F("step__application__tier__level"),
    "created": F("id"),
}


def sorted_rows(queryset: QuerySet, sort: str, default: str) -> tuple[QuerySet, str]:
    """`queryset` ordered by the column named in `sort` ("-rpn": descending).

    Unknown columns fall back to `default`. Empty values sort last either way and the
    id breaks ties, so the order is stable on every database.
    """
    key = sort.removeprefix("-")
    if key not in FAILURE_MODE_SORTS:
        sort, key = default, default.removeprefix("-")
    term = order_term(FailureMode, FAILURE_MODE_SORTS[key], descending=sort.startswith("-"))
    return queryset.order_by(term, "id"), sort
