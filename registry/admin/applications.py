"""Applications, with their steps inline."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from registry.models import Application, Step


class StepInline(admin.TabularInline):
    model = Step
    extra = 0
    fields = (
        "order",
        "name",
        "rto_seconds",
        "rpo_seconds",
        "availability_target",
        "objective_reason",
    )
    show_change_link = True


class UnmappedResidencyFilter(admin.SimpleListFilter):
    """Applications whose older free-text residency the migration could not map."""

    title = "data residency"
    parameter_name = "residency_unmapped"

    def lookups(self, request, model_admin):
        return [("yes", "Not mapped (needs a jurisdiction)")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(data_residency_unmapped="")
        return queryset


@admin.register(Application)
class ApplicationAdmin(SimpleHistoryAdmin):
    list_display = (
        "name",
        "team",
        "business_function",
        "tier",
        "dr_strategy",
        "data_residency",
        "data_residency_unmapped",
        "owner",
    )
    list_filter = (UnmappedResidencyFilter, "tier", "dr_strategy", "team", "regions")
    search_fields = ("name", "description", "owner", "team__name", "business_function__name")
    list_select_related = ("team", "business_function", "tier", "dr_strategy")
    autocomplete_fields = ("team", "business_function")
    filter_horizontal = ("regions",)
    readonly_fields = ("created_at", "updated_at")
    inlines = (StepInline,)
