"""FilterSets of the reference data shared by every team: tiers, regions, DR strategies,
rating scales and the failure-mode library."""

import django_filters
from django.db.models import QuerySet

from registry.choices import FailureCategory, RatingScaleName, TemplateComponentKind
from registry.filtersets.filters import (
    IntegerFilter,
    MultipleChoiceFilter,
    StrictBooleanFilter,
    TextSearchFilter,
)
from registry.jurisdictions import BLOCS
from registry.models import DrStrategy, FailureModeTemplate, RatingScale, Region, Tier


class TierFilterSet(django_filters.FilterSet):
    level = IntegerFilter(help_text="Tier level (1 is the most critical).")
    disasters_excluded = StrictBooleanFilter(
        help_text="Only tiers whose targets exclude (true) or include (false) disasters."
    )

    class Meta:
        model = Tier
        fields = ["level", "disasters_excluded"]


class RegionFilterSet(django_filters.FilterSet):
    jurisdiction = django_filters.CharFilter(
        method="inside",
        help_text="Regions inside a jurisdiction: a country code (e.g. IE) or a bloc (EU, EEA).",
    )
    country = django_filters.CharFilter(lookup_expr="iexact", help_text="Country code, e.g. IE.")

    class Meta:
        model = Region
        fields = ["jurisdiction", "country"]

    def inside(self, queryset, name, value):
        code = value.strip().upper()
        return queryset.filter(country__in=BLOCS.get(code, {code}))


class DrStrategyFilterSet(django_filters.FilterSet):
    multi_region = StrictBooleanFilter(help_text="Runs in more than one region.")

    class Meta:
        model = DrStrategy
        fields = ["multi_region"]


class RatingScaleFilterSet(django_filters.FilterSet):
    scale = django_filters.ChoiceFilter(
        choices=RatingScaleName.choices, help_text="severity, probability or detectability."
    )
    rating = IntegerFilter(help_text="Rating, 1 to 10.")

    class Meta:
        model = RatingScale
        fields = ["scale", "rating"]


class FailureModeTemplateFilterSet(django_filters.FilterSet):
    component_kind = django_filters.ChoiceFilter(
        choices=TemplateComponentKind.choices,
        method="filter_component_kind",
        help_text="Templates for this component kind, and those for any component.",
    )
    failure_category = MultipleChoiceFilter(
        choices=FailureCategory.choices, help_text="One or more failure categories."
    )
    q = TextSearchFilter(
        columns=("mode", "effect", "cause"),
        help_text="Text searched in the mode, effect and cause.",
    )

    class Meta:
        model = FailureModeTemplate
        fields = ["component_kind", "failure_category"]

    def filter_component_kind(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(component_kind__in={value, TemplateComponentKind.ANY})
