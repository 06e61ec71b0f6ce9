"""The FilterSet of baselines, by team and application."""

import django_filters

from registry.filtersets.filters import IntegerFilter
from registry.models import Baseline


class BaselineFilterSet(django_filters.FilterSet):
    team = IntegerFilter(field_name="team_id", help_text="Team id.")
    application = IntegerFilter(field_name="application_id", help_text="Application id.")

    class Meta:
        model = Baseline
        fields = []
