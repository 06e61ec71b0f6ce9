"""Baselines: a record of what was approved, read-only here as everywhere."""

from django.contrib import admin

from registry.admin.base import ComputedAdmin
from registry.models import Baseline


@admin.register(Baseline)
class BaselineAdmin(ComputedAdmin):
    list_display = ("application", "number", "title", "created_by", "approved_by", "approved_at")
    list_select_related = ("application", "created_by", "approved_by")
    list_filter = ("team",)
    search_fields = ("title", "application__name")
    raw_id_fields = ("application", "team")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
