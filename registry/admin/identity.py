"""Single sign-on: the mapping of the provider's groups to team roles, which owners of
the register edit here, and the memberships sign-on granted (read-only)."""

from django.contrib import admin

from registry.admin.base import ComputedAdmin
from registry.models import GroupMapping, ProviderMembership


@admin.register(GroupMapping)
class GroupMappingAdmin(admin.ModelAdmin):
    list_display = ("group", "team", "role")
    list_select_related = ("team",)
    list_filter = ("role", "team")
    search_fields = ("group", "team__name")
    raw_id_fields = ("team",)


@admin.register(ProviderMembership)
class ProviderMembershipAdmin(ComputedAdmin):
    list_display = ("membership", "granted_at")
    list_select_related = ("membership__team", "membership__user")
    list_filter = ("membership__team",)
    search_fields = ("membership__user__username", "membership__team__name")
    raw_id_fields = ("membership",)
