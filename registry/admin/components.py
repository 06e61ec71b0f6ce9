"""Components, with what each needs inline."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from registry.forms.components import ComponentAdminForm
from registry.models import Component, Dependency


class ComponentDependencyInline(admin.TabularInline):
    """What the component itself needs."""

    model = Dependency
    fk_name = "dependant_component"
    extra = 0
    fields = ("component", "hard")
    autocomplete_fields = ("component",)
    verbose_name = "dependency"
    verbose_name_plural = "depends on"


@admin.register(Component)
class ComponentAdmin(SimpleHistoryAdmin):
    form = ComponentAdminForm
    list_display = ("name", "kind", "team", "availability", "availability_basis", "application")
    list_filter = ("kind", "availability_basis", "replication", "team", "regions")
    search_fields = ("name", "description", "team__name")
    list_select_related = ("team", "application")
    autocomplete_fields = ("team", "application")
    filter_horizontal = ("regions", "replica_regions", "backup_copy_regions")
    readonly_fields = ("created_at", "updated_at")
    inlines = (ComponentDependencyInline,)
