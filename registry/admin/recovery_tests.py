"""Recovery tests (drills) and what they measured."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from registry.models import RecoveryTest


@admin.register(RecoveryTest)
class RecoveryTestAdmin(SimpleHistoryAdmin):
    list_display = (
        "application",
        "step",
        "disruption",
        "performed_on",
        "outcome",
        "measured_rto_seconds",
        "measured_rpo_seconds",
        "team",
    )
    list_filter = ("disruption", "outcome", "team")
    search_fields = ("application__name", "scenario", "notes", "team__name")
    date_hierarchy = "performed_on"
    list_select_related = ("application", "step", "team")
    autocomplete_fields = ("team", "application", "step")
    raw_id_fields = ("recorded_by",)
    readonly_fields = ("created_at", "updated_at")
