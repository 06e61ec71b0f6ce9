"""Read-only views of what the register computes: rollups, snapshots and findings."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from registry.api.base import as_api_error, user_can_write
from registry.choices import FindingSeverity, SuppressionStatus
from registry.filtersets.analysis import (
    ApplicationRollupFilterSet,
    FindingFilterSet,
    RollupFilterSet,
    SnapshotFilterSet,
)
from registry.models import (
    ApplicationRollup,
    Finding,
    FindingSuppression,
    RollupSnapshot,
    TierRollup,
)
from registry.models.rollups import FIGURE_NAMES
from registry.ordering import ranked
from registry.services.findings import suppress_finding, unsuppress_finding

FIGURE_FIELDS = [*FIGURE_NAMES, "computed_at"]
FIGURE_HELP = {
    "application_count": "Applications in the group.",
    "step_count": "Steps of those applications.",
    "failure_mode_count": "Failure modes.",
    "open_count": "Failure modes open or being mitigated.",
    "rpn_max": "Highest RPN, or null without failure modes.",
    "rpn_mean": "Mean RPN, or null without failure modes.",
    "rpn_sum": "Sum of RPNs.",
    "over_threshold_count": "Failure modes above their tier's RPN threshold.",
    "ap_high_count": "Failure modes with action priority High.",
    "ap_medium_count": "Failure modes with action priority Medium.",
    "ap_low_count": "Failure modes with action priority Low.",
    "revised_ap_high_count": "Failure modes whose revised action priority is High.",
    "revised_ap_medium_count": "Failure modes whose revised action priority is Medium.",
    "revised_ap_low_count": "Failure modes whose revised action priority is Low.",
    "current_ap_high_count": "Failure modes whose current action priority (revised where "
    "re-rated, else initial) is High.",
    "current_ap_medium_count": "Failure modes whose current action priority is Medium.",
    "current_ap_low_count": "Failure modes whose current action priority is Low.",
    "accepted_ap_high_count": "Accepted risks whose current action priority is High.",
    "accepted_ap_medium_count": "Accepted risks whose current action priority is Medium.",
    "accepted_ap_low_count": "Accepted risks whose current action priority is Low.",
    "open_action_count": "Actions open or in progress.",
    "overdue_action_count": "Open actions past their due date.",
    "finding_count": "Resilience findings, suppressed ones left out.",
    "assumed_finding_count": "Findings that rest on at least one assumed availability figure.",
    "findings_by_kind": "Resilience findings counted by kind, suppressed ones left out.",
    "computed_at": "When the figures were computed.",
}


def figure_kwargs() -> dict:
    return {name: {"help_text": text} for name, text in FIGURE_HELP.items()}


class TierRollupSerializer(serializers.ModelSerializer):
    """A team's risk figures for one tier."""

    tier_level = serializers.IntegerField(source="tier.level", read_only=True, help_text="Tier.")
    tier_name = serializers.CharField(source="tier.name", read_only=True, help_text="Tier name.")

    class Meta:
        model = TierRollup
        fields = ["id", "team", "tier", "tier_level", "tier_name", *FIGURE_FIELDS]
        extra_kwargs = {
            "team": {"help_text": "Team id."},
            "tier": {"help_text": "Tier id."},
            **figure_kwargs(),
        }


class ApplicationRollupSerializer(serializers.ModelSerializer):
    """An application's risk figures."""

    application_name = serializers.CharField(
        source="application.name", read_only=True, help_text="Application name."
    )
    tier_level = serializers.IntegerField(
        source="application.tier.level", read_only=True, help_text="The application's tier."
    )

    class Meta:
        model = ApplicationRollup
        fields = ["id", "team", "application", "application_name", "tier_level", *FIGURE_FIELDS]
        extra_kwargs = {
            "team": {"help_text": "Team id."},
            "application": {"help_text": "Application id."},
            **figure_kwargs(),
        }


class RollupSnapshotSerializer(serializers.ModelSerializer):
    """A tier rollup as it stood on one day."""

    tier_level = serializers.IntegerField(source="tier.level", read_only=True, help_text="Tier.")

    class Meta:
        model = RollupSnapshot
        fields = ["id", "team", "tier", "tier_level", "date", *FIGURE_FIELDS]
        extra_kwargs = {
            "team": {"help_text": "Team id."},
            "tier": {"help_text": "Tier id."},
            "date": {"help_text": "The day of the snapshot."},
            **figure_kwargs(),
        }


class SuppressionSerializer(serializers.ModelSerializer):
    """A decision to set a finding aside, with its reason and expiry."""

    status = serializers.ChoiceField(
        choices=SuppressionStatus.choices, help_text="accepted or not_applicable."
    )
    reason = serializers.CharField(help_text="Why the finding is set aside.")
    expires_on = serializers.DateField(help_text="The finding comes back after this day.")
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, default=None, help_text="Who decided."
    )

    class Meta:
        model = FindingSuppression
        fields = ["id", "status", "reason", "expires_on", "created_by", "created_at"]
        read_only_fields = ["id", "created_at"]


class FindingSerializer(serializers.ModelSerializer):
    """A resilience finding and the numbers behind it."""

    suppression = serializers.SerializerMethodField(help_text="The suppression in force, or null.")

    def get_suppression(self, finding: Finding) -> dict | None:
        active = getattr(finding, "active_suppressions", None)
        if active is None:
            active = list(finding.suppressions.filter(ended_at__isnull=True))
        return SuppressionSerializer(active[0]).data if active else None

    application_name = serializers.CharField(
        source="application.name",
        read_only=True,
        default=None,
        allow_null=True,
        help_text="The application's name, or null.",
    )

    class Meta:
        model = Finding
        fields = [
            "id",
            "team",
            "key",
            "kind",
            "severity",
            "message",
            "details",
            "application",
            "application_name",
            "step",
            "component",
            "failure_mode",
            "tier",
            "rests_on_assumption",
            "first_seen_at",
            "computed_at",
            "suppression",
        ]
        extra_kwargs = {
            "team": {"help_text": "Team id."},
            "application": {"help_text": "Application the finding is about, if any."},
            "step": {"help_text": "Step the finding is about, if any."},
            "component": {"help_text": "Component the finding is about, if any."},
            "failure_mode": {"help_text": "Failure mode the finding is about, if any."},
            "tier": {"help_text": "Tier the finding counts under, if any."},
            "kind": {"help_text": "What kind of finding."},
            "severity": {"help_text": "critical, high, medium or low."},
        }


class ScopedReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    def get_queryset(self):
        return self.queryset.visible_to(self.request.user)


class TierRollupViewSet(ScopedReadOnlyViewSet):
    """Risk figures per team and tier, recomputed when the register changes."""

    queryset = TierRollup.objects.select_related("tier").order_by("team_id", "tier__level")
    serializer_class = TierRollupSerializer
    filterset_class = RollupFilterSet
    ordering_fields = ["rpn_max", "rpn_sum", "failure_mode_count", "finding_count", "id"]


class ApplicationRollupViewSet(ScopedReadOnlyViewSet):
    """Risk figures per application."""

    queryset = ApplicationRollup.objects.select_related("application__tier").order_by(
        "team_id", "application__name"
    )
    serializer_class = ApplicationRollupSerializer
    filterset_class = ApplicationRollupFilterSet
    ordering_fields = ["rpn_max", "rpn_sum", "failure_mode_count", "finding_count", "id"]


class RollupSnapshotViewSet(ScopedReadOnlyViewSet):
    """Daily tier rollups, for trend charts."""

    queryset = RollupSnapshot.objects.select_related("tier").order_by(
        "team_id", "tier__level", "-date"
    )
    serializer_class = RollupSnapshotSerializer
    filterset_class = SnapshotFilterSet
    ordering_fields = ["date", "id"]


class FindingViewSet(ScopedReadOnlyViewSet):
    """Resilience findings: what the register computes that no spreadsheet does."""

    # Most severe first: critical, high, medium, low.
    queryset = (
        Finding.objects.select_related("application")
        .prefetch_related(
            Prefetch(
                "suppressions",
                queryset=FindingSuppression.objects.filter(ended_at__isnull=True).select_related(
                    "created_by"
                ),
                to_attr="active_suppressions",
            )
        )
        .annotate(severity_rank=ranked("severity", FindingSeverity.values))
        .order_by("severity_rank", "kind", "key")
    )
    serializer_class = FindingSerializer
    filterset_class = FindingFilterSet
    ordering_fields = ["severity_rank", "kind", "first_seen_at", "id"]

    def filter_queryset(self, queryset):
        # The list's filters (which leave suppressed findings out) choose what is
        # listed; one finding is found by its id whatever its state.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def writable_finding(self) -> Finding:
        finding = self.get_object()
        if not user_can_write(self.request.user, finding.team_id):
            raise exceptions.PermissionDenied("Your role in this team is read-only.")
        return finding

    def answer(self, finding: Finding, code: int) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=finding.pk)).data, code)

    @extend_schema(
        request=SuppressionSerializer,
        responses={201: FindingSerializer},
        description="Set the finding aside (accepted or not applicable) with a reason, "
        "until an expiry at most a year ahead. It leaves counts and default lists, and "
        "comes back when the suppression expires or its figures change. Editors and "
        "owners.",
    )
    @action(detail=True, methods=["post"])
    def suppress(self, request: Request, pk=None) -> Response:
        finding = self.writable_finding()
        data = SuppressionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            suppress_finding(finding, user=request.user, **data.validated_data)
        except DjangoValidationError as exc:
            raise as_api_error(exc) from exc
        return self.answer(finding, status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={200: FindingSerializer},
        description="Lift the finding's suppression: it counts again. Editors and owners.",
    )
    @action(detail=True, methods=["post"])
    def unsuppress(self, request: Request, pk=None) -> Response:
        finding = self.writable_finding()
        if not unsuppress_finding(finding, user=request.user):
            raise serializers.ValidationError(
                {"non_field_errors": ["This finding is not suppressed."]}
            )
        return self.answer(finding, status.HTTP_200_OK)
