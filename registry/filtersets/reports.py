"""Filters of the report runs and report schedules lists (API)."""

from __future__ import annotations

import django_filters

from registry.filtersets.filters import IntegerFilter
from registry.models import JobStatus, ReportFormat, ReportRun, ReportSchedule


class ReportRunFilterSet(django_filters.FilterSet):
    team = IntegerFilter(field_name="team_id", help_text="Team id.")
    status = django_filters.MultipleChoiceFilter(
        choices=JobStatus.choices, help_text="One or more statuses."
    )
    # Not `format`: DRF reads ?format= to choose the response's renderer.
    report_format = django_filters.MultipleChoiceFilter(
        field_name="format", choices=ReportFormat.choices, help_text="One or more formats."
    )
    schedule = IntegerFilter(field_name="schedule_id", help_text="Schedule id.")

    class Meta:
        model = ReportRun
        fields = []


class ReportScheduleFilterSet(django_filters.FilterSet):
    team = IntegerFilter(field_name="team_id", help_text="Team id.")

    class Meta:
        model = ReportSchedule
        fields = []
