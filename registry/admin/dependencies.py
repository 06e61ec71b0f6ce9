"""Dependencies. A dependency that would close a loop is refused by the model
(Dependency.clean()), here as in the API and the browser."""

from django.contrib import admin

from registry.models import Dependency


@admin.register(Dependency)
class DependencyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "step", "dependant_component", "component", "hard")
    list_filter = ("hard", "component__kind", "component__team")
    search_fields = ("step__name", "dependant_component__name", "component__name")
    list_select_related = ("step__application", "dependant_component", "component")
    autocomplete_fields = ("step", "dependant_component", "component")
