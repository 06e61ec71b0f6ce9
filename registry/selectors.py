"""Read queries behind the browser's lists: the rows a table shows, with the figures
each row carries computed by the database (a fixed number of queries per page)."""

from __future__ import annotations

from django.db.models import Count, IntegerField, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from registry.choices import ActionStatus
from registry.models import Action, Application, Component, FailureMode, RatingScale, Step
from registry.models.failure_modes import open_failure_modes, over_threshold


def action_count(actions: QuerySet) -> Coalesce:
    """The number of `actions` of the outer failure mode, 0 when there are none."""
    counted = (
        actions.filter(failure_mode=OuterRef("pk"))
        .order_by()
        .values("failure_mode")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def open_action_count() -> Coalesce:
    """The number of open or in-progress actions of the outer failure mode."""
    return action_count(Action.objects.open())


def with_action_counts(queryset: QuerySet) -> QuerySet:
    """Failure modes with `open_action_count`, `verified_action_count` and `action_count`.

    Correlated subqueries rather than a join: the database counts the actions of the
    rows of the page only, where a join and GROUP BY would count them for every
    failure mode of the team before the page is cut.
    """
    return queryset.annotate(
        open_action_count=open_action_count(),
        verified_action_count=action_count(Action.objects.filter(status=ActionStatus.VERIFIED)),
        action_count=action_count(Action.objects.all()),
    )


def failure_mode_rows(team_id: int) -> QuerySet:
    """The team's failure modes with what a row of the list or the worksheet shows."""
    return with_action_counts(
        FailureMode.objects.for_team(team_id).select_related(
            "step__application__tier", "component"
        )
    )


def applications_for_list(team_id: int) -> QuerySet:
    """The team's applications with their failure-mode count and highest RPN."""
    return (
        Application.objects.for_team(team_id)
        .select_related("business_function", "tier", "dr_strategy")
        .prefetch_related("regions")
        .annotate(
            step_count=Count("steps", distinct=True),
            failure_mode_count=Count("steps__failure_modes"),
            max_rpn=Max("steps__failure_modes__rpn"),
        )
        .order_by("tier__level", "name", "id")
    )


def steps_for_application(application: Application) -> QuerySet:
    """An application's steps in order, with their effective objectives and
    failure-mode figures."""
    return (
        Step.objects.filter(application=application)
        .with_effective_objectives()
        .select_related("last_reviewed_by")
        .annotate(
            failure_mode_count=Count("failure_modes"),
            open_count=Count("failure_modes", filter=open_failure_modes("failure_modes__")),
            max_rpn=Max("failure_modes__rpn"),
            over_threshold=Count(
                "failure_modes",
                filter=over_threshold("failure_modes__"),
            ),
        )
        .order_by("order", "id")
    )


def components_for_list(team_id: int) -> QuerySet:
    """The team's components with how many steps depend on each directly."""
    return (
        Component.objects.for_team(team_id)
        .select_related("application")
        .prefetch_related("regions")
        .annotate(
            step_count=Count("dependants__step", distinct=True),
            failure_mode_count=Count("failure_modes", distinct=True),
        )
        .order_by("name", "id")
    )


def rating_scales() -> dict[tuple[str, int], RatingScale]:
    """Every rating description, keyed by (scale, rating): one query."""
    return {(row.scale, row.rating): row for row in RatingScale.objects.all()}
