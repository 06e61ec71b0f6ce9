"""Filters of the worksheet imports list (API)."""

from __future__ import annotations

import django_filters

from registry.filtersets.filters import IntegerFilter
from registry.models import WorksheetImport


class WorksheetImportFilterSet(django_filters.FilterSet):
    team = IntegerFilter(field_name="team_id", help_text="Team id.")

    class Meta:
        model = WorksheetImport
        fields = []
