"""Django admin for the register: every model, with history where the model keeps it.

The admin is for superusers looking after the data; teams use the app and the API.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from registry.choices import ActionPriority
from registry.models import (
    Action,
    Application,
    ApplicationRollup,
    BusinessFunction,
    Component,
    Dependency,
    DrStrategy,
    FailureMode,
    FailureModeTemplate,
    Finding,
    Membership,
    RatingScale,
    Region,
    RollupSnapshot,
    Step,
    Team,
    TeamRecompute,
    TeamRevision,
    Tier,
    TierRollup,
)

RECORD_FIELDS = ("version", "created_at", "updated_at")


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


class StampUserMixin:
    """Records the admin user in `updated_by` and, on creation, `created_by`, on the
    object and on its inline rows, for the models that have those fields."""

    @staticmethod
    def stamp(request, obj) -> None:
        if hasattr(obj, "updated_by_id"):
            obj.updated_by = request.user
        if obj._state.adding and hasattr(obj, "created_by_id"):
            obj.created_by = request.user

    def save_model(self, request, obj, form, change):
        self.stamp(request, obj)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            if inline_form.has_changed():
                self.stamp(request, inline_form.instance)
        super().save_formset(request, form, formset, change)


# Reference data


@admin.register(Tier)
class TierAdmin(SimpleHistoryAdmin):
    list_display = (
        "level",
        "name",
        "rto_seconds",
        "rpo_seconds",
        "availability_target",
        "rpn_threshold",
        "review_interval_days",
        "disasters_excluded",
    )
    list_display_links = ("level", "name")
    list_filter = ("disasters_excluded",)
    search_fields = ("name", "description")


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "jurisdiction")
    list_filter = ("jurisdiction",)
    search_fields = ("code", "name", "jurisdiction")


@admin.register(DrStrategy)
class DrStrategyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "cost_rank",
        "best_rto_seconds",
        "best_rpo_seconds",
        "multi_region",
    )
    list_filter = ("multi_region",)
    search_fields = ("code", "name", "summary")


@admin.register(RatingScale)
class RatingScaleAdmin(admin.ModelAdmin):
    list_display = ("scale", "rating", "label")
    list_filter = ("scale",)
    search_fields = ("label", "description")


@admin.register(FailureModeTemplate)
class FailureModeTemplateAdmin(admin.ModelAdmin):
    list_display = (
        "mode",
        "component_kind",
        "failure_category",
        "severity",
        "probability",
        "detectability",
    )
    list_filter = ("component_kind", "failure_category")
    search_fields = ("mode", "effect", "cause")


# Teams


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at",)
    inlines = (MembershipInline,)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "team", "role")
    list_filter = ("role", "team")
    search_fields = ("user__username", "user__email", "team__name")
    list_select_related = ("user", "team")
    autocomplete_fields = ("team", "user")


# What a team runs


@admin.register(BusinessFunction)
class BusinessFunctionAdmin(admin.ModelAdmin):
    list_display = ("name", "team", "priority", "updated_at")
    list_filter = ("team",)
    search_fields = ("name", "description", "team__name")
    list_select_related = ("team",)
    autocomplete_fields = ("team",)
    readonly_fields = ("created_at", "updated_at")


class StepInline(admin.TabularInline):
    model = Step
    extra = 0
    fields = ("order", "name", "rto_seconds", "rpo_seconds", "availability_target")
    show_change_link = True


@admin.register(Application)
class ApplicationAdmin(SimpleHistoryAdmin):
    list_display = ("name", "team", "business_function", "tier", "dr_strategy", "owner")
    list_filter = ("tier", "dr_strategy", "team", "regions")
    search_fields = ("name", "description", "owner", "team__name", "business_function__name")
    list_select_related = ("team", "business_function", "tier", "dr_strategy")
    autocomplete_fields = ("team", "business_function")
    filter_horizontal = ("regions",)
    readonly_fields = ("created_at", "updated_at")
    inlines = (StepInline,)


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
class ComponentAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "team", "availability", "application")
    list_filter = ("kind", "team", "regions")
    search_fields = ("name", "description", "team__name")
    list_select_related = ("team", "application")
    autocomplete_fields = ("team", "application")
    filter_horizontal = ("regions",)
    readonly_fields = ("created_at", "updated_at")
    inlines = (ComponentDependencyInline,)


@admin.register(Dependency)
class DependencyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "step", "dependant_component", "component", "hard")
    list_filter = ("hard", "component__kind", "component__team")
    search_fields = ("step__name", "dependant_component__name", "component__name")
    list_select_related = ("step__application", "dependant_component", "component")
    autocomplete_fields = ("step", "dependant_component", "component")


# Failure modes and actions


class ActionInline(admin.TabularInline):
    model = Action
    extra = 0
    fields = ("description", "owner", "due_date", "status", "completed_at", "version")
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
        "status",
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
    raw_id_fields = ("review_signed_off_by",)
    readonly_fields = (
        "team",
        "rpn",
        "ap",
        "revised_rpn",
        "revised_ap",
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
                )
            },
        ),
        ("Management review", {"fields": ("review_signed_off_by", "review_signed_off_at")}),
        ("Record", {"fields": (*RECORD_FIELDS, "created_by", "updated_by")}),
    )
    inlines = (ActionInline,)

    @admin.display(description="AP", ordering="action_priority")
    def ap(self, obj: FailureMode) -> str | None:
        return priority_label(obj.action_priority)

    @admin.display(description="revised AP", ordering="revised_action_priority")
    def revised_ap(self, obj: FailureMode) -> str | None:
        return priority_label(obj.revised_action_priority)


@admin.register(Action)
class ActionAdmin(StampUserMixin, SimpleHistoryAdmin):
    list_display = ("__str__", "failure_mode", "owner", "due_date", "status", "version")
    list_filter = ("status", "failure_mode__team", "due_date")
    search_fields = ("description", "owner", "notes", "failure_mode__mode")
    list_select_related = ("failure_mode",)
    autocomplete_fields = ("failure_mode",)
    readonly_fields = ("completed_at", "updated_by", *RECORD_FIELDS)


# Computed by the register: readable here, changed only by recomputes.


class ComputedAdmin(admin.ModelAdmin):
    list_select_related = ("team",)
    list_filter = ("team",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Finding)
class FindingAdmin(ComputedAdmin):
    list_display = ("message", "team", "kind", "severity", "first_seen_at", "computed_at")
    list_filter = ("team", "kind", "severity")
    search_fields = ("message", "key")


@admin.register(TierRollup)
class TierRollupAdmin(ComputedAdmin):
    list_display = (
        "team",
        "tier",
        "failure_mode_count",
        "open_count",
        "rpn_max",
        "over_threshold_count",
        "ap_high_count",
        "overdue_action_count",
        "finding_count",
        "computed_at",
    )
    list_select_related = ("team", "tier")
    list_filter = ("team", "tier")


@admin.register(ApplicationRollup)
class ApplicationRollupAdmin(ComputedAdmin):
    list_display = (
        "application",
        "team",
        "failure_mode_count",
        "rpn_max",
        "ap_high_count",
        "finding_count",
        "computed_at",
    )
    list_select_related = ("team", "application")
    search_fields = ("application__name",)


@admin.register(RollupSnapshot)
class RollupSnapshotAdmin(ComputedAdmin):
    list_display = ("date", "team", "tier", "failure_mode_count", "rpn_sum", "finding_count")
    list_select_related = ("team", "tier")
    list_filter = ("team", "tier", "date")
    date_hierarchy = "date"


@admin.register(TeamRecompute)
class TeamRecomputeAdmin(ComputedAdmin):
    list_display = ("team", "dirty", "requested_at", "computed_at", "duration_ms")
    list_filter = ("dirty",)


@admin.register(TeamRevision)
class TeamRevisionAdmin(ComputedAdmin):
    """Written by database triggers; shown to tell whether a team's lists changed."""

    list_display = ("team_id", "revision")
    list_select_related = ()
    list_filter = ()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- reports, schedules and worksheet imports -------------------------------------------
# (Imported here, at the end, so that this section stands on its own.)
from registry.models import ReportRun, ReportSchedule, WorksheetImport  # noqa: E402


@admin.register(ReportSchedule)
class ReportScheduleAdmin(admin.ModelAdmin):
    """Saving or deleting a schedule here updates its Celery beat entry too."""

    list_display = ("name", "team", "format", "crontab", "enabled", "periodic_task")
    list_select_related = ("team", "periodic_task")
    list_filter = ("team", "format", "enabled")
    search_fields = ("name", "recipients")
    raw_id_fields = ("team", "created_by")
    readonly_fields = ("periodic_task", "created_at", "updated_at")
    actions = ["send_now"]

    @admin.action(description="Send the selected schedules' reports now")
    def send_now(self, request, queryset) -> None:
        from registry.tasks import run_report_schedule_task

        for schedule in queryset:
            run_report_schedule_task.delay(schedule.pk)
        self.message_user(request, f"Queued {queryset.count()} report(s).")


@admin.register(ReportRun)
class ReportRunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "team",
        "format",
        "status",
        "progress_done",
        "progress_total",
        "row_count",
        "requested_by",
        "schedule",
        "created_at",
        "finished_at",
    )
    list_select_related = ("team", "requested_by", "schedule")
    list_filter = ("status", "format", "team")
    raw_id_fields = ("team", "requested_by", "schedule")
    date_hierarchy = "created_at"

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # runs are requested in the app or the API, and generated by a task

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WorksheetImport)
class WorksheetImportAdmin(admin.ModelAdmin):
    list_display = ("id", "team", "source_name", "dry_run", "status", "row_count", "created_at")
    list_select_related = ("team",)
    list_filter = ("status", "dry_run", "team")
    raw_id_fields = ("team", "requested_by")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
