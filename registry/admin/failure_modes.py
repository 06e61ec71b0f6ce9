"""Failure modes, with their actions inline, and actions."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from registry.admin.base import RECORD_FIELDS, StampUserMixin
from registry.choices import ActionPriority
from registry.models import Action, FailureMode
from registry.ordering import ACTION_SORTS, FAILURE_MODE_SORTS


def priority_label(value: str | None) -> str | None:
    return ActionPriority(value).label if value else None


class ActionPriorityFilter(admin.SimpleListFilter):
    """AP is a generated column without choices of its own, so list them here."""

    title = "action priority"
    parameter_name = "action_priority"

    def lookups(self, request, model_admin):
        return ActionPriority.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(action_priority=self.value())
        return queryset


class ActionInline(admin.TabularInline):
    model = Action
    extra = 0
    fields = ("description", "kind", "owner", "due_date", "status", "completed_at", "version")
    readonly_fields = ("completed_at", "version")
    show_change_link = True


@admin.register(FailureMode)
class FailureModeAdmin(StampUserMixin, SimpleHistoryAdmin):
    list_display = (
        "mode",
        "step",
        "team",
        "severity",
        "probability",
        "detectability",
        "rpn",
        "ap",
        "revised_rpn",
        "status_in_order",
        "version",
    )
    list_filter = (
        "step__application__tier",
        "status",
        ActionPriorityFilter,
        "failure_category",
        "team",
    )
    search_fields = (
        "mode",
        "effect",
        "cause",
        "step__name",
        "step__application__name",
        "component__name",
    )
    list_select_related = ("step__application", "team")
    autocomplete_fields = ("step", "component")
    raw_id_fields = ("review_signed_off_by", "accepted_by")
    readonly_fields = (
        "team",
        "rpn",
        "ap",
        "revised_rpn",
        "revised_ap",
        "current_rpn",
        "current_ap",
        "rating_warnings",
        "accepted_at",
        "created_by",
        "updated_by",
        *RECORD_FIELDS,
    )
    fieldsets = (
        (None, {"fields": ("team", "step", "component", "mode", "failure_category", "status")}),
        ("Analysis", {"fields": ("effect", "cause", "prevention_controls", "detection_controls")}),
        ("Ratings", {"fields": (("severity", "probability", "detectability"), ("rpn", "ap"))}),
        (
            "After actions",
            {
                "fields": (
                    ("revised_severity", "revised_probability", "revised_detectability"),
                    ("revised_rpn", "revised_ap"),
                    ("current_rpn", "current_ap"),
                    "rating_warnings",
                )
            },
        ),
        (
            "Decision",
            {
                "fields": (
                    "acceptance_rationale",
                    ("acceptance_expires_on", "accepted_by", "accepted_at"),
                    "closed_reason",
                ),
                "description": "An accepted risk needs a rationale, an expiry at most a "
                "year ahead and a team owner who accepts it; a closed one, a reason.",
            },
        ),
        ("Management review", {"fields": ("review_signed_off_by", "review_signed_off_at")}),
        ("Record", {"fields": (*RECORD_FIELDS, "created_by", "updated_by")}),
    )
    inlines = (ActionInline,)

    @admin.display(description="AP", ordering=FAILURE_MODE_SORTS["ap"])
    def ap(self, obj: FailureMode) -> str | None:
        return priority_label(obj.action_priority)

    @admin.display(description="revised AP", ordering=FAILURE_MODE_SORTS["revised_ap"])
    def revised_ap(self, obj: FailureMode) -> str | None:
        return priority_label(obj.revised_action_priority)

    @admin.display(description="current AP")
    def current_ap(self, obj: FailureMode) -> str | None:
        return priority_label(obj.current_action_priority)

    @admin.display(description="warnings")
    def rating_warnings(self, obj: FailureMode) -> str:
        return " ".join(obj.rating_warnings) or "—"

    @admin.display(description="status", ordering=FAILURE_MODE_SORTS["status"])
    def status_in_order(self, obj: FailureMode) -> str:
        return obj.get_status_display()


@admin.register(Action)
class ActionAdmin(StampUserMixin, SimpleHistoryAdmin):
    list_display = ("__str__", "failure_mode", "owner", "due_date", "status_in_order", "version")
    list_filter = ("status", "kind", "failure_mode__team", "due_date")
    search_fields = ("description", "owner", "notes", "failure_mode__mode")
    list_select_related = ("failure_mode",)
    autocomplete_fields = ("failure_mode",)
    raw_id_fields = ("verified_by",)
    readonly_fields = ("completed_at", "verified_at", "updated_by", *RECORD_FIELDS)

    @admin.display(description="status", ordering=ACTION_SORTS["status"])
    def status_in_order(self, obj: Action) -> str:
        return obj.get_status_display()
