"""Incidents, the receivers' settings, and PagerDuty services mapped to components."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from registry.models import Incident, IncidentReceiver, PagerDutyService


@admin.register(Incident)
class IncidentAdmin(SimpleHistoryAdmin):
    list_display = ("title", "team", "source", "severity", "started_at", "resolved_at")
    list_filter = ("source", "severity", "team")
    search_fields = ("title", "external_id", "team__name")
    list_select_related = ("team",)
    autocomplete_fields = ("team", "components")
    raw_id_fields = ("failure_modes",)
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "started_at"


@admin.register(IncidentReceiver)
class IncidentReceiverAdmin(admin.ModelAdmin):
    """Tokens are issued and rotated by the team's owners in the app; the admin shows
    which exist and edits their settings."""

    list_display = ("team", "source", "token_hint", "component_label", "rotated_at")
    list_filter = ("source",)
    list_select_related = ("team",)
    readonly_fields = ("token_hint", "rotated_at", "rotated_by")
    autocomplete_fields = ("team",)

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(PagerDutyService)
class PagerDutyServiceAdmin(admin.ModelAdmin):
    list_display = ("service_id", "component", "team")
    list_select_related = ("team", "component")
    autocomplete_fields = ("team", "component")
