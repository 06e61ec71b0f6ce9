"""FilterSets of the register's own rows: failure modes, actions, business functions,
applications, steps, components and dependencies."""

import django_filters
from django.db.models import QuerySet

from registry.choices import ActionPriority, ActionStatus, ComponentKind, FailureModeStatus
from registry.filtersets.filters import (
    FilterSet,
    IntegerFilter,
    MultipleChoiceFilter,
    StrictBooleanFilter,
    TextSearchFilter,
)
from registry.models import (
    Action,
    Application,
    BusinessFunction,
    Component,
    Dependency,
    FailureMode,
    Step,
)


class FailureModeFilterSet(FilterSet):
    team = IntegerFilter(field_name="team_id", help_text="Team id.")
    application = IntegerFilter(field_name="step__application_id", help_text="Application id.")
    tier = IntegerFilter(
        field_name="step__application__tier__level", help_text="Tier level (1 is most critical)."
    )
    step = IntegerFilter(field_name="step_id", help_text="Step id.")
    component = IntegerFilter(field_name="component_id", help_text="Component id.")
    status = MultipleChoiceFilter(
        choices=FailureModeStatus.choices, help_text="One or more statuses."
    )
    action_priority = MultipleChoiceFilter(
        choices=ActionPriority.choices, help_text="One or more action priorities: H, M, L."
    )
    rpn_min = IntegerFilter(
        field_name="rpn", lookup_expr="gte", help_text="Lowest RPN to include."
    )
    rpn_max = IntegerFilter(
        field_name="rpn", lookup_expr="lte", help_text="Highest RPN to include."
    )
    q = TextSearchFilter(
        columns=("mode", "effect", "cause"),
        help_text="Text searched in the failure mode, effect and cause.",
    )
    # The heat maps' cells: two of severity, probability and detectability.
    severity = IntegerFilter(help_text="Exactly this severity (1–10).")
    probability = IntegerFilter(help_text="Exactly this probability (1–10).")
    detectability = IntegerFilter(help_text="Exactly this detectability (1–10).")

    class Meta:
        model = FailureMode
        fields = ["failure_category"]


class ActionFilterSet(FilterSet):
    failure_mode = IntegerFilter(field_name="failure_mode_id", help_text="Failure mode id.")
    owner = django_filters.CharFilter(help_text="Exactly this owner.")
    team = IntegerFilter(field_name="failure_mode__team_id", help_text="Team id.")
    status = MultipleChoiceFilter(choices=ActionStatus.choices)
    overdue = StrictBooleanFilter(method="filter_overdue", help_text="Only overdue.")

    class Meta:
        model = Action
        fields = []

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        overdue = queryset.overdue()
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))


class BusinessFunctionFilterSet(FilterSet):
    """Business functions: filter by team."""

    team = IntegerFilter(field_name="team_id", help_text="Team id.")

    class Meta:
        model = BusinessFunction
        fields = []


class ApplicationFilterSet(FilterSet):
    """Applications: filter by team, tier level, business function, DR strategy, name."""

    team = IntegerFilter(field_name="team_id", help_text="Team id.")
    tier = IntegerFilter(field_name="tier__level", help_text="Tier level (1 is most critical).")
    business_function = IntegerFilter(
        field_name="business_function_id", help_text="Business function id."
    )
    dr_strategy = django_filters.CharFilter(
        field_name="dr_strategy__code",
        help_text="DR strategy code, e.g. warm_standby.",
    )
    q = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", help_text="Text searched in the name."
    )

    class Meta:
        model = Application
        fields = []


class StepFilterSet(FilterSet):
    """Steps: filter by application or team."""

    application = IntegerFilter(field_name="application_id", help_text="Application id.")
    team = IntegerFilter(field_name="application__team_id", help_text="Team id.")

    class Meta:
        model = Step
        fields = []


class ComponentFilterSet(FilterSet):
    """Components: filter by team, kind, or the application a component stands for."""

    team = IntegerFilter(field_name="team_id", help_text="Team id.")
    kind = MultipleChoiceFilter(
        choices=ComponentKind.choices, help_text="One or more component kinds."
    )
    application = IntegerFilter(
        field_name="application_id", help_text="Id of the application the component is."
    )

    class Meta:
        model = Component
        fields = []


class DependencyFilterSet(FilterSet):
    """Dependencies: filter by dependant (step or component), dependency, or hardness."""

    step = IntegerFilter(field_name="step_id", help_text="Dependant step id.")
    dependant_component = IntegerFilter(
        field_name="dependant_component_id", help_text="Dependant component id."
    )
    component = IntegerFilter(
        field_name="component_id", help_text="Id of the component depended on."
    )
    hard = StrictBooleanFilter(help_text="true: hard dependencies; false: soft ones.")

    class Meta:
        model = Dependency
        fields = []
