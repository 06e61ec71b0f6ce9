"""Recovery tests: by team, application, step, disruption, outcome and date range."""

import django_filters

from registry.choices import Disruption, RecoveryTestOutcome
from registry.filtersets.filters import IntegerFilter, MultipleChoiceFilter, StrictDateFilter
from registry.models import RecoveryTest


class RecoveryTestFilterSet(django_filters.FilterSet):
    team = IntegerFilter(field_name="team_id", help_text="Team id.")
    application = IntegerFilter(field_name="application_id", help_text="Application id.")
    step = IntegerFilter(field_name="step_id", help_text="Step id.")
    disruption = MultipleChoiceFilter(
        choices=Disruption.choices, help_text="One or more disruptions tested."
    )
    outcome = MultipleChoiceFilter(
        choices=RecoveryTestOutcome.choices, help_text="One or more outcomes."
    )
    performed_after = StrictDateFilter(
        field_name="performed_on",
        lookup_expr="gte",
        help_text="Performed on or after this date (YYYY-MM-DD).",
    )
    performed_before = StrictDateFilter(
        field_name="performed_on",
        lookup_expr="lte",
        help_text="Performed on or before this date (YYYY-MM-DD).",
    )

    class Meta:
        model = RecoveryTest
        fields = []
