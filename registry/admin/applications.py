"""Applications, with their steps inline."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from registry.models import Application, Step


class StepInline(admin.TabularInline):
    model = Step
    extra = 0
    fields = ("order", "name", "rto_seconds", "rpo_seconds", "availability_target")
    show_change_link = True


@admin.register(Application)
class ApplicationAdmin(SimpleHistoryAdmin):
    list_display = ("name", "team", "business_function", "tier", "dr_strategy", "owner")
    list_filter = ("tier", "dr_strategy", "team", "regions")
    search_fields = ("name", "description", "owner", "team__name", "business_function__name")
    list_select_related = ("team", "business_function", "tier", "dr_strategy")
    autocomplete_fields = ("team", "business_function")
    filter_horizontal = ("regions",)
    readonly_fields = ("created_at", "updated_at")
    inlines = (StepInline,)
