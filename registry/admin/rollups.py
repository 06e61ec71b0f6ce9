"""Computed by the register: readable here, changed only by recomputes."""

from django.contrib import admin

from registry.admin.base import ComputedAdmin
from registry.models import (
    ApplicationRollup,
    Finding,
    FindingSuppression,
    RollupSnapshot,
    TeamRecompute,
    TeamRevision,
    TierRollup,
)


@admin.register(Finding)
class FindingAdmin(ComputedAdmin):
    list_display = ("message", "team", "kind", "severity", "first_seen_at", "computed_at")
    list_filter = ("team", "kind", "severity")
    search_fields = ("message", "key")


@admin.register(FindingSuppression)
class FindingSuppressionAdmin(ComputedAdmin):
    """Suppressions are decided on the findings page and the API; here, their history."""

    list_display = (
        "message",
        "team",
        "status",
        "expires_on",
        "created_by",
        "created_at",
        "ended_at",
        "end_reason",
    )
    list_select_related = ("team", "created_by")
    list_filter = ("team", "status", "end_reason")
    search_fields = ("message", "reason", "key")


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
    list_display = (
        "team",
        "dirty",
        "waiting_since",
        "requested_at",
        "computed_at",
        "duration_ms",
    )
    list_filter = ("dirty",)


@admin.register(TeamRevision)
class TeamRevisionAdmin(ComputedAdmin):
    """Written by database triggers; shown to tell whether a team's lists changed."""

    list_display = ("team_id", "revision")
    list_select_related = ()
    list_filter = ()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
