"""Steps, with what they need and their worksheet inline."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from registry.admin.base import StampUserMixin
from registry.models import Dependency, FailureMode, Step


class DependencyInline(admin.TabularInline):
    """What the step needs."""

    model = Dependency
    fk_name = "step"
    extra = 0
    fields = ("component", "hard")
    autocomplete_fields = ("component",)


class FailureModeInline(admin.TabularInline):
    """The step's worksheet; the team is taken from the step on save."""

    model = FailureMode
    extra = 0
    fields = (
        "mode",
        "component",
        "failure_category",
        "severity",
        "probability",
        "detectability",
        "rpn",
        "action_priority",
        "status",
    )
    readonly_fields = ("rpn", "action_priority")
    autocomplete_fields = ("component",)
    show_change_link = True


@admin.register(Step)
class StepAdmin(StampUserMixin, SimpleHistoryAdmin):
    list_display = ("name", "application", "order", "last_reviewed_at")
    list_filter = ("application__tier", "application__team")
    search_fields = ("name", "description", "application__name")
    list_select_related = ("application",)
    autocomplete_fields = ("application",)
    raw_id_fields = ("last_reviewed_by",)
    readonly_fields = ("created_at", "updated_at")
    inlines = (DependencyInline, FailureModeInline)

    def get_queryset(self, request):
        # Also used by the autocomplete of other admins: Step.__str__ shows the application.
        return super().get_queryset(request).select_related("application")
