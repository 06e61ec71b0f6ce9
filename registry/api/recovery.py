"""Recovery tests (drills), and each step's recovery: objective, achievable and
measured per disruption."""

from __future__ import annotations

from rest_framework import serializers

from registry.api.base import ID_HELP, RegisterViewSet, ValidatedModelSerializer
from registry.api.fields import TeamScopedRelatedField, reference_with_name
from registry.filtersets import RecoveryTestFilterSet
from registry.models import Application, RecoveryTest, Step


class RecoveryTestSerializer(ValidatedModelSerializer):
    """A recovery drill of an application (or one of its steps) from one disruption,
    with the RTO and RPO it measured and its outcome. Passed tests within the tier's
    interval are the evidence the recovery findings use."""

    team = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The application's team.")
    application, application_name = reference_with_name(
        "application",
        Application.objects.all(),
        "Id of the application tested.",
        "The application's name.",
    )
    step = TeamScopedRelatedField(
        queryset=Step.objects.all(),
        required=False,
        allow_null=True,
        help_text="Id of the step the drill exercised, or null for the whole application.",
    )
    recorded_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="Who recorded it."
    )

    class Meta:
        model = RecoveryTest
        fields = [
            "id",
            "team",
            "application",
            "application_name",
            "step",
            "disruption",
            "performed_on",
            "scenario",
            "measured_rto_seconds",
            "measured_rpo_seconds",
            "outcome",
            "runbook_url",
            "notes",
            "recorded_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []
        extra_kwargs = {
            "id": {"help_text": ID_HELP},
        }

    def before_clean(self, instance: RecoveryTest) -> None:
        # The team is the application's; the caller records it.
        if instance.application_id is not None:
            instance.team_id = instance.application.team_id
        if instance.pk is None:
            instance.recorded_by = self.context["request"].user

    def derived_fields(self) -> tuple[str, ...]:
        return ("team", "recorded_by") if self.instance is None else ("team",)


class RecoveryTestViewSet(RegisterViewSet):
    """Recovery tests of the caller's teams, newest first; filter by application, step,
    disruption, outcome and date range."""

    queryset = RecoveryTest.objects.select_related("application", "recorded_by").order_by(
        "-performed_on", "-id"
    )
    serializer_class = RecoveryTestSerializer
    filterset_class = RecoveryTestFilterSet
    ordering_fields = ["performed_on", "disruption", "outcome", "created_at", "id"]

    def team_of_data(self, data: dict) -> int | None:
        application = data.get("application")
        return application.team_id if application is not None else None
