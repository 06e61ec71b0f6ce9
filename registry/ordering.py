"""One ordering vocabulary for the register's lists: the sort keys of the browser's
tables (`?sort=`) and the terms of the API's `?ordering=` are the same `Sorts`.

Choice columns sort by rank (action priority L < M < H, status in lifecycle order), not
alphabetically; empty values (NULL, or blank text) sort last in either direction; the
id breaks ties, so that pages never overlap or skip rows on any database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.db.models.functions import NullIf

from registry.choices import ActionPriority, ActionStatus, FailureModeStatus, Role
from registry.models import Action, FailureMode, Membership
from registry.models.base import may_be_empty
from registry.selectors import open_action_count

#: Action priority from least to most urgent: ascending is L, M, H.
PRIORITY_RANK = [ActionPriority.LOW, ActionPriority.MEDIUM, ActionPriority.HIGH]
TIE_BREAKER = "id"


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


def field_at(model: type[models.Model], path: str) -> models.Field | None:
    """The field a lookup path such as `step__application__name` ends at (None for an
    annotation)."""
    field = None
    for part in path.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        model = field.related_model
    return field


def column(model: type[models.Model], path: str):
    """The column at `path` as a sort term. Blank text counts as empty (NULL), so that
    rows without a cause, say, come after those with one in either direction."""
    field = field_at(model, path)
    if isinstance(field, models.CharField | models.TextField) and field.blank:
        return NullIf(F(path), Value(""))
    return F(path)


class Sorts(Mapping):
    """The sort keys of one model's lists: name → the expression to order by.

    `keys` values are lookup paths (see `column`) or expressions. `aliases` give a
    second name to a key where the browser and the API name a column differently
    (`ap` and `action_priority`): both sort the same. `annotations` are computed
    figures a key orders by (`F(name)`): a queryset that already selects them orders
    by the selected value, any other has them added as an alias (not selected).
    """

    def __init__(
        self,
        model: type[models.Model],
        keys: Mapping[str, str | models.Expression],
        *,
        aliases: Mapping[str, str] | None = None,
        annotations: Mapping[str, Callable[[], models.Expression]] | None = None,
    ) -> None:
        self.model = model
        self.annotations = dict(annotations or {})
        terms = {
            name: column(model, key) if isinstance(key, str) else key for name, key in keys.items()
        }
        for alias, name in (aliases or {}).items():
            terms[alias] = terms[name]
        self.terms = terms

    @classmethod
    def of_columns(cls, model: type[models.Model], names: Iterable[str]) -> Sorts:
        """Keys that are the model's columns (or its queryset's annotations) by name."""
        return cls(model, {name: name for name in names})

    def __getitem__(self, name: str):
        return self.terms[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    def order(self, queryset: QuerySet, *keys: str) -> QuerySet:
        """`queryset` ordered by `keys` ("-rpn": descending), then by id. Every key must
        be one of these sorts."""
        terms = []
        for key in keys:
            name = key.removeprefix("-")
            term = self.terms[name]
            figure = term.name if isinstance(term, F) else None
            if figure in self.annotations and figure not in queryset.query.annotations:
                queryset = queryset.alias(**{figure: self.annotations[figure]()})
            terms.append(order_term(self.model, term, descending=key.startswith("-")))
        if not {TIE_BREAKER, f"-{TIE_BREAKER}"} & set(keys):
            terms.append(TIE_BREAKER)
        return queryset.order_by(*terms)

    def sorted(self, queryset: QuerySet, sort: str, default: str) -> tuple[QuerySet, str]:
        """`queryset` ordered by the key named in `sort`, or by `default` when `sort`
        names none; with the key it was ordered by."""
        if sort.removeprefix("-") not in self.terms:
            sort = default
        return self.order(queryset, sort), sort


#: Sort keys of failure-mode lists: the API's `?ordering=` (its representation's field
#: names) and the browser tables' `?sort=` (their column names) alike.
FAILURE_MODE_SORTS = Sorts(
    FailureMode,
    {
        "application": "step__application__name",
        "step": "step__name",
        "tier": "step__application__tier__level",
        "component": "component__name",
        "mode": "mode",
        "category": "failure_category",
        "effect": "effect",
        "cause": "cause",
        "prevention": "prevention_controls",
        "detection": "detection_controls",
        "severity": "severity",
        "probability": "probability",
        "detectability": "detectability",
        "rpn": "rpn",
        "ap": ranked("action_priority", PRIORITY_RANK),
        "status": ranked("status", FailureModeStatus.values),
        "actions": F("open_action_count"),
        "revised_severity": "revised_severity",
        "revised_probability": "revised_probability",
        "revised_detectability": "revised_detectability",
        "revised_rpn": "revised_rpn",
        "revised_ap": ranked("revised_action_priority", PRIORITY_RANK),
        "created": "created_at",
        "updated_at": "updated_at",
        "id": "id",
    },
    aliases={
        "application_name": "application",
        "step_name": "step",
        "tier_level": "tier",
        "component_name": "component",
        "failure_category": "category",
        "prevention_controls": "prevention",
        "detection_controls": "detection",
        "action_priority": "ap",
        "revised_action_priority": "revised_ap",
        "open_action_count": "actions",
        "created_at": "created",
    },
    annotations={"open_action_count": open_action_count},
)

#: Sort keys of action lists.
ACTION_SORTS = Sorts(
    Action,
    {
        "due_date": "due_date",
        "status": ranked("status", ActionStatus.values),
        "created_at": "created_at",
        "updated_at": "updated_at",
        "id": "id",
    },
)

#: Members by role from least to most rights: viewer, editor, owner.
MEMBERSHIP_SORTS = Sorts(
    Membership,
    {
        "team": "team",
        "role": ranked("role", Role.values),
        "user__username": "user__username",
        "id": "id",
    },
)


def sorted_rows(queryset: QuerySet, sort: str, default: str) -> tuple[QuerySet, str]:
    """Failure modes ordered by the key named in `sort` (see `Sorts.sorted`)."""
    return FAILURE_MODE_SORTS.sorted(queryset, sort, default)
