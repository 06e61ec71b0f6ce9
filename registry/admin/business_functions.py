"""Business functions."""

from django.contrib import admin

from registry.models import BusinessFunction


@admin.register(BusinessFunction)
class BusinessFunctionAdmin(admin.ModelAdmin):
    list_display = ("name", "team", "priority", "updated_at")
    list_filter = ("team",)
    search_fields = ("name", "description", "team__name")
    list_select_related = ("team",)
    autocomplete_fields = ("team",)
    readonly_fields = ("created_at", "updated_at")
