"""Risk priority number and AIAG-VDA action priority.

One source of truth: the action-priority table (data/action_priority.csv) drives both
the plain Python functions and the database expressions behind the generated columns,
so a filter or an ORDER BY in SQL and a value computed in Python always agree.
"""

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.db.models import BooleanField, Case, CharField, F, Q, Value, When
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce

from registry.choices import ActionPriority

RATING_MIN = 1
RATING_MAX = 10
DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class PriorityRule:
    """One row of the AIAG-VDA table: inclusive rating ranges and the priority."""

    severity: tuple[int, int]
    probability: tuple[int, int]
    detectability: tuple[int, int]
    priority: ActionPriority

    def matches(self, severity: int, probability: int, detectability: int) -> bool:
        return (
            self.severity[0] <= severity <= self.severity[1]
            and self.probability[0] <= probability <= self.probability[1]
            and self.detectability[0] <= detectability <= self.detectability[1]
        )


@cache
def action_priority_table() -> tuple[PriorityRule, ...]:
    with (DATA_DIR / "action_priority.csv").open(newline="") as handle:
        return tuple(
            PriorityRule(
                severity=(int(row["severity_min"]), int(row["severity_max"])),
                probability=(int(row["probability_min"]), int(row["probability_max"])),
                detectability=(int(row["detectability_min"]), int(row["detectability_max"])),
                priority=ActionPriority(row["action_priority"]),
            )
            for row in csv.DictReader(handle)
        )


def check_rating(value: int) -> None:
    if not RATING_MIN <= value <= RATING_MAX:
        raise ValueError(f"Ratings run from {RATING_MIN} to {RATING_MAX}; got {value}.")


def rpn(severity: int, probability: int, detectability: int) -> int:
    """Risk priority number: severity × probability × detectability (1–1000)."""
    for value in (severity, probability, detectability):
        check_rating(value)
    return severity * probability * detectability


def action_priority(severity: int, probability: int, detectability: int) -> ActionPriority:
    """AIAG-VDA action priority: the first rule of the table that covers the ratings."""
    for value in (severity, probability, detectability):
        check_rating(value)
    for rule in action_priority_table():
        if rule.matches(severity, probability, detectability):
            return rule.priority
    raise LookupError(
        f"The action priority table does not cover {severity}/{probability}/{detectability}."
    )


def rpn_expression(prefix: str = "") -> CombinedExpression:
    """SQL for the RPN of the ratings named `{prefix}severity` etc.; NULL if any is NULL."""
    return F(f"{prefix}severity") * F(f"{prefix}probability") * F(f"{prefix}detectability")


def action_priority_expression(prefix: str = "") -> Case:
    """SQL CASE over the action-priority table; NULL when a rating is NULL."""
    whens = [
        When(
            Q(**{f"{prefix}severity__range": rule.severity})
            & Q(**{f"{prefix}probability__range": rule.probability})
            & Q(**{f"{prefix}detectability__range": rule.detectability}),
            then=Value(rule.priority.value),
        )
        for rule in action_priority_table()
    ]
    return Case(*whens, default=None, output_field=CharField(max_length=1))


def needs_management_review(severity: int, priority: str) -> bool:
    """Severity 9–10 with AP High or Medium needs a management sign-off."""
    return severity >= 9 and priority in (ActionPriority.HIGH, ActionPriority.MEDIUM)


def current_rpn_expression() -> Coalesce:
    """SQL for the current RPN: the revised one where re-rated, else the initial one."""
    return Coalesce(rpn_expression("revised_"), rpn_expression())


#: The ratings `current_action_priority` takes, in order.
CURRENT_PRIORITY_RATINGS = (
    "severity",
    "probability",
    "detectability",
    "revised_severity",
    "revised_probability",
    "revised_detectability",
)


def current_action_priority(
    severity: int | None,
    probability: int | None,
    detectability: int | None,
    revised_severity: int | None = None,
    revised_probability: int | None = None,
    revised_detectability: int | None = None,
) -> ActionPriority | None:
    """The revised action priority where re-rated, else the initial one (the rule of
    `current_action_priority_expression`); None while the ratings are incomplete."""
    if None not in (revised_severity, revised_probability, revised_detectability):
        return action_priority(revised_severity, revised_probability, revised_detectability)
    if None in (severity, probability, detectability):
        return None
    return action_priority(severity, probability, detectability)


def current_action_priority_expression() -> Case:
    """SQL for the current action priority: revised where re-rated, else initial.

    The revised ratings are all given or all NULL (a CHECK), so one of them decides.
    """
    return Case(
        When(revised_severity__isnull=True, then=action_priority_expression()),
        default=action_priority_expression("revised_"),
        output_field=CharField(max_length=1),
    )


def revised_worse_expression() -> Case:
    """SQL: true when any revised rating is above its initial one (the row mark of
    `worse_revised_ratings`, whose messages say which)."""
    worse = Q()
    for name in ("severity", "probability", "detectability"):
        worse |= Q(**{f"revised_{name}__gt": F(name)})
    return Case(When(worse, then=Value(True)), default=Value(False), output_field=BooleanField())


def worse_revised_ratings(
    initial: tuple[int, int, int], revised: tuple[int | None, int | None, int | None]
) -> list[str]:
    """Warnings for each revised rating above its initial one (after actions a risk
    should not get worse; when it does, someone should look)."""
    names = ("severity", "probability", "detectability")
    return [
        f"Revised {name} {after} is worse than the initial {before}."
        for name, before, after in zip(names, initial, revised, strict=True)
        if after is not None and before is not None and after > before
    ]
