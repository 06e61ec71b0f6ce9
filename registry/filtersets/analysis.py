"""FilterSets of what the register computes: tier and application rollups, their daily
snapshots, and resilience findings."""

import django_filters

from registry.choices import FINDING_KIND_ALIASES, FindingKind, FindingSeverity
from registry.filtersets.filters import (
    IntegerFilter,
    MultipleChoiceFilter,
    StrictBooleanFilter,
    StrictDateFilter,
)
from registry.models import ApplicationRollup, Finding, RollupSnapshot, TierRollup


class RollupFilterSet(django_filters.FilterSet):
    team = IntegerFilter(field_name="team_id", help_text="Team id.")
    tier = IntegerFilter(field_name="tier__level", help_text="Tier level.")

    class Meta:
        model = TierRollup
        fields = []


class ApplicationRollupFilterSet(django_filters.FilterSet):
    team = IntegerFilter(field_name="team_id", help_text="Team id.")
    tier = IntegerFilter(field_name="application__tier__level", help_text="Tier level.")
    application = IntegerFilter(field_name="application_id", help_text="Application id.")

    class Meta:
        model = ApplicationRollup
        fields = []


class SnapshotFilterSet(RollupFilterSet):
    date_from = StrictDateFilter(
        field_name="date", lookup_expr="gte", help_text="First day (YYYY-MM-DD)."
    )
    date_to = StrictDateFilter(
        field_name="date", lookup_expr="lte", help_text="Last day (YYYY-MM-DD)."
    )

    class Meta:
        model = RollupSnapshot
        fields = []


class FindingKindFilter(MultipleChoiceFilter):
    """Finding kinds, former names read as the new ones."""

    def filter(self, qs, value):
        if value:
            value = [FINDING_KIND_ALIASES.get(kind, kind) for kind in value]
        return super().filter(qs, value)


class FindingFilterSet(django_filters.FilterSet):
    team = IntegerFilter(field_name="team_id", help_text="Team id.")
    application = IntegerFilter(field_name="application_id", help_text="Application id.")
    step = IntegerFilter(field_name="step_id", help_text="Step id.")
    tier = IntegerFilter(field_name="tier__level", help_text="Tier level.")
    kind = FindingKindFilter(
        choices=[
            *FindingKind.choices,
            *((old, f"{new.label} (former name)") for old, new in FINDING_KIND_ALIASES.items()),
        ],
        help_text="One or more kinds. `shared_fate` is the former name of "
        "`common_dependency`, still accepted in this release and removed in the next.",
    )
    severity = MultipleChoiceFilter(
        choices=FindingSeverity.choices, help_text="One or more severities."
    )
    suppressed = StrictBooleanFilter(
        method="filter_suppressed",
        help_text="true: only the suppressed findings. Without it, or false, the list "
        "leaves them out.",
    )

    class Meta:
        model = Finding
        fields = []

    def filter_suppressed(self, queryset, name, value):
        return queryset.suppressed() if value else queryset.unsuppressed()

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        # Suppressed findings leave the default list.
        if self.form.cleaned_data.get("suppressed") is None:
            queryset = queryset.unsuppressed()
        return queryset
