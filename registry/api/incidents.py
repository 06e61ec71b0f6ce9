"""Incidents, their history, and the evidence they give against a failure mode's
ratings."""

from __future__ import annotations

from django.apps import apps
from django.db import models
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from registry.api.base import ID_HELP, RegisterViewSet, ValidatedModelSerializer, as_api_error
from registry.api.fields import MemberTeamField, TeamScopedRelatedField
from registry.choices import IncidentSource
from registry.filtersets import IncidentFilterSet
from registry.imports.incidents import import_incidents
from registry.models import Component, FailureMode, Incident
from registry.models.incidents import INCIDENT_FIELDS, check_links


class IncidentSerializer(ValidatedModelSerializer):
    """Something that went wrong, when it started, was detected and resolved, and the
    components and failure modes it touched."""

    team = MemberTeamField(help_text="Id of the team it belongs to; one of your teams.")
    components = TeamScopedRelatedField(
        queryset=Component.objects.all(),
        many=True,
        required=False,
        help_text="Ids of the team's components it touched.",
    )
    failure_modes = TeamScopedRelatedField(
        queryset=FailureMode.objects.all(),
        many=True,
        required=False,
        help_text="Ids of the team's failure modes it was an occurrence of.",
    )
    source = serializers.ChoiceField(
        choices=IncidentSource.choices,
        default=IncidentSource.API,
        help_text="Where it was recorded; api unless given.",
    )
    downtime_seconds = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="resolved − started; null while open."
    )
    detect_seconds = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Time to detect: detected − started; null without a detection time.",
    )

    class Meta:
        model = Incident
        fields = [
            "id",
            "team",
            *INCIDENT_FIELDS,
            "downtime_seconds",
            "detect_seconds",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []
        extra_kwargs = {
            "id": {"help_text": ID_HELP},
            "title": {"help_text": "What happened, in a line."},
            "severity": {"help_text": "How bad it was."},
            "postmortem_url": {"help_text": "Where the postmortem is."},
        }

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        team = attrs.get("team") or self.instance.team
        components = attrs.get("components")
        if components is None and self.instance is not None:
            components = list(self.instance.components.all())
        failure_modes = attrs.get("failure_modes")
        if failure_modes is None and self.instance is not None:
            failure_modes = list(self.instance.failure_modes.all())
        try:
            check_links(team.pk, components or [], failure_modes or [])
        except Exception as exc:
            raise as_api_error(exc) from exc
        return attrs


class HistoryEntrySerializer(serializers.Serializer):
    when = serializers.DateTimeField(source="history_date", help_text="When it was saved.")
    who = serializers.CharField(allow_null=True, help_text="Who saved it; null: the system.")
    kind = serializers.CharField(help_text="created, changed or deleted.")
    title = serializers.CharField(help_text="The title then.")
    started_at = serializers.DateTimeField(help_text="The start then.")
    detected_at = serializers.DateTimeField(allow_null=True, help_text="The detection then.")
    resolved_at = serializers.DateTimeField(allow_null=True, help_text="The resolution then.")
    failure_modes = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids of the failure modes linked then."
    )
    components = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids of the components linked then."
    )


class IncidentImportSerializer(serializers.Serializer):
    team = MemberTeamField(help_text="Id of the team to import into; one of your teams.")
    file = serializers.FileField(help_text="CSV or XLSX of past incidents, one per row.")
    dry_run = serializers.BooleanField(
        default=False, help_text="Check every row and write nothing."
    )


class IncidentImportResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text="Whether every row was accepted.")
    dry_run = serializers.BooleanField(help_text="Whether nothing was written by request.")
    row_count = serializers.IntegerField(help_text="Rows read.")
    summary = serializers.DictField(help_text="incidents: how many were (or would be) made.")
    problems = serializers.ListField(
        child=serializers.DictField(), help_text="{row, column, message} per problem."
    )


def linked_ids_by_version(history_ids: list[int]) -> dict[str, dict[int, list[int]]]:
    """The failure modes and components each saved version linked (two queries)."""
    links: dict[str, dict[int, list[int]]] = {"failuremode": {}, "component": {}}
    for target in links:
        name = "failure_modes" if target == "failuremode" else "components"
        model = apps.get_model("registry", f"HistoricalIncident_{name}")
        for history_id, linked_id in model.objects.filter(history_id__in=history_ids).values_list(
            "history_id", f"{target}_id"
        ):
            links[target].setdefault(history_id, []).append(linked_id)
    return links


class IncidentViewSet(RegisterViewSet):
    """Incidents of the caller's teams; filter by component, failure mode, application,
    source, severity and start date."""

    queryset = Incident.objects.prefetch_related(
        models.Prefetch("components", Component.objects.only("id")),
        models.Prefetch("failure_modes", FailureMode.objects.only("id")),
    ).order_by("-started_at", "-id")
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilterSet
    ordering_fields = ["started_at", "detected_at", "resolved_at", "severity", "id"]

    @extend_schema(
        request={"multipart/form-data": IncidentImportSerializer},
        responses={
            200: IncidentImportResultSerializer,
            400: OpenApiResponse(
                description="A request without its team or file: {field: [messages]}; a file "
                "with problems: the result with ok false and each problem's row and column."
            ),
        },
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_file(self, request: Request) -> Response:
        """Import past incidents from a CSV or XLSX file: every row or none (the columns
        are listed in a refusal's problems)."""
        upload = IncidentImportSerializer(data=request.data, context={"request": request})
        upload.is_valid(raise_exception=True)
        team = upload.validated_data["team"]
        self.check_write(team.pk)
        result = import_incidents(
            team=team,
            user=request.user,
            data=upload.validated_data["file"].read(),
            dry_run=upload.validated_data["dry_run"],
        )
        body = {
            "ok": result.ok,
            "dry_run": result.dry_run,
            "row_count": result.row_count,
            "summary": result.summary,
            "problems": result.errors(),
        }
        return Response(body, status=200 if result.ok else 400)

    @extend_schema(responses=HistoryEntrySerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk=None) -> Response:
        """Every saved version of the incident, newest first: who, when, and its links."""
        incident = self.get_object()
        records = list(
            incident.history.select_related("history_user").order_by(
                "-history_date", "-history_id"
            )[:200]
        )
        links = linked_ids_by_version([record.history_id for record in records])
        entries = [
            {
                "history_date": record.history_date,
                "who": record.history_user.get_username() if record.history_user else None,
                "kind": {"+": "created", "-": "deleted"}.get(record.history_type, "changed"),
                "title": record.title,
                "started_at": record.started_at,
                "detected_at": record.detected_at,
                "resolved_at": record.resolved_at,
                "failure_modes": sorted(links["failuremode"].get(record.history_id, [])),
                "components": sorted(links["component"].get(record.history_id, [])),
            }
            for record in records
        ]
        return Response(HistoryEntrySerializer(entries, many=True).data)


class EvidenceSerializer(serializers.Serializer):
    """What the incidents of a failure mode within the window say about its ratings."""

    window_days = serializers.IntegerField(help_text="Days of incidents counted.")
    incidents = serializers.IntegerField(help_text="Incidents linked in the window.")
    per_year = serializers.FloatField(help_text="incidents × 365 / window days.")
    median_detect_seconds = serializers.IntegerField(
        allow_null=True,
        help_text="Median of detected − started over the incidents with a detection time.",
    )
    probability = serializers.IntegerField(help_text="The current probability rating.")
    observed_probability = serializers.IntegerField(
        allow_null=True, help_text="The probability band the observed frequency falls in."
    )
    probability_contradicted = serializers.SerializerMethodField(
        help_text="Observed worse than rated by FMEA_EVIDENCE_MARGIN or more."
    )
    detectability = serializers.IntegerField(help_text="The current detectability rating.")
    observed_detectability = serializers.IntegerField(
        allow_null=True, help_text="The lowest detectability whose limit allows the median."
    )
    detectability_contradicted = serializers.SerializerMethodField(
        help_text="Observed worse than rated by FMEA_EVIDENCE_MARGIN or more."
    )

    def get_probability_contradicted(self, evidence) -> bool:
        return evidence.contradicts("probability")

    def get_detectability_contradicted(self, evidence) -> bool:
        return evidence.contradicts("detectability")


class AdoptSerializer(serializers.Serializer):
    scale = serializers.ChoiceField(
        choices=["probability", "detectability"], help_text="Which observed rating to adopt."
    )
