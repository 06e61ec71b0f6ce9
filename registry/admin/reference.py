"""Reference data: tiers, regions, DR strategies, rating scales, the failure-mode
library."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from registry.models import DrStrategy, FailureModeTemplate, RatingScale, Region, Tier


@admin.register(Tier)
class TierAdmin(SimpleHistoryAdmin):
    list_display = (
        "level",
        "name",
        "rto_seconds",
        "rpo_seconds",
        "availability_target",
        "rpn_threshold",
        "review_interval_days",
        "recovery_test_interval_days",
        "disasters_excluded",
    )
    list_display_links = ("level", "name")
    list_filter = ("disasters_excluded",)
    search_fields = ("name", "description")


class CountryMissingFilter(admin.SimpleListFilter):
    """Regions whose older free-text jurisdiction the migration could not map."""

    title = "country"
    parameter_name = "country_missing"

    def lookups(self, request, model_admin):
        return [("yes", "Not recorded (needs mapping)"), ("no", "Recorded")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(country="")
        if self.value() == "no":
            return queryset.exclude(country="")
        return queryset


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "country")
    list_filter = (CountryMissingFilter, "country")
    search_fields = ("code", "name", "country")


@admin.register(DrStrategy)
class DrStrategyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "cost_rank",
        "best_rto_seconds",
        "best_rpo_seconds",
        "multi_region",
        "serves_all_regions",
    )
    list_filter = ("multi_region", "serves_all_regions")
    search_fields = ("code", "name", "summary")


@admin.register(RatingScale)
class RatingScaleAdmin(admin.ModelAdmin):
    list_display = (
        "scale",
        "rating",
        "label",
        "min_per_year",
        "max_per_year",
        "max_detect_seconds",
    )
    list_editable = ("min_per_year", "max_per_year", "max_detect_seconds")
    list_filter = ("scale",)
    search_fields = ("label", "description")


@admin.register(FailureModeTemplate)
class FailureModeTemplateAdmin(admin.ModelAdmin):
    list_display = (
        "mode",
        "component_kind",
        "failure_category",
        "severity",
        "probability",
        "detectability",
    )
    list_filter = ("component_kind", "failure_category")
    search_fields = ("mode", "effect", "cause")
