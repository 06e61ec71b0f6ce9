"""Incidents: by team, component, failure mode, application, source and date range."""

import django_filters

from registry.choices import IncidentSeverity, IncidentSource
from registry.filtersets.filters import (
    IntegerFilter,
    MultipleChoiceFilter,
    StrictDateFilter,
    TextSearchFilter,
)
from registry.models import Incident


class IncidentFilterSet(django_filters.FilterSet):
    team = IntegerFilter(field_name="team_id", help_text="Team id.")
    # One row per incident: a component or failure mode is linked at most once.
    component = IntegerFilter(field_name="components", help_text="Id of a linked component.")
    failure_mode = IntegerFilter(
        field_name="failure_modes", help_text="Id of a linked failure mode."
    )
    application = IntegerFilter(
        field_name="failure_modes__step__application",
        distinct=True,
        help_text="Id of an application one of its linked failure modes belongs to.",
    )
    source = MultipleChoiceFilter(choices=IncidentSource.choices, help_text="One or more sources.")
    severity = MultipleChoiceFilter(
        choices=IncidentSeverity.choices, help_text="One or more severities."
    )
    started_from = StrictDateFilter(
        field_name="started_at__date",
        lookup_expr="gte",
        help_text="Started on or after (YYYY-MM-DD).",
    )
    started_to = StrictDateFilter(
        field_name="started_at__date",
        lookup_expr="lte",
        help_text="Started on or before (YYYY-MM-DD).",
    )
    q = TextSearchFilter(columns=("title", "external_id"), help_text="Text in the title or id.")

    class Meta:
        model = Incident
        fields = []
