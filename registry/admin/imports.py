"""Worksheet imports."""

from django.contrib import admin

from registry.models import WorksheetImport


@admin.register(WorksheetImport)
class WorksheetImportAdmin(admin.ModelAdmin):
    list_display = ("id", "team", "source_name", "dry_run", "status", "row_count", "created_at")
    list_select_related = ("team",)
    list_filter = ("status", "dry_run", "team")
    raw_id_fields = ("team", "requested_by")
    readonly_fields = ("background", "heartbeat_at", "idempotency_key", "request_fingerprint")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
