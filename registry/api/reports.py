"""Reports, on demand and scheduled.

Reports are read-only artefacts of a team's register, so every member of the team,
viewers included, may request one and download it; other teams' runs answer 404.
Schedules, which email reports outside the register, need the editor or owner role.
"""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, renderers, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from registry.api.base import TeamScopedViewSet, ValidatedModelSerializer
from registry.api.fields import MemberTeamField
from registry.api.jobs import (
    IDEMPOTENCY_KEY,
    KEY_REUSED,
    QUEUE_DOWN,
    KeyReused,
    QueueDown,
    idempotency_key,
)
from registry.filtersets.reports import ReportRunFilterSet, ReportScheduleFilterSet
from registry.jobs import IdempotencyKeyReused, QueueUnavailable
from registry.models import JobStatus, ReportFormat, ReportRun, ReportSchedule
from registry.models.reports import SCOPE_FIELDS
from registry.reports import runs
from registry.reports.tasks import queue_report
from registry.reports.writers import CONTENT_TYPES

NOT_FOUND = OpenApiResponse(description="No such object among your teams' objects.")


# --- scope fields shared by runs and schedules ------------------------------------------


def scope_fields() -> dict:
    return {
        "tiers": serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=32767),
            required=False,
            help_text="Tier levels to include, e.g. [1, 2]; empty or absent: all.",
        ),
        "applications": serializers.ListField(
            # At most the largest 64-bit id: SQLite cannot compare a larger one.
            child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
            required=False,
            help_text="Ids of the team's applications to include; empty or absent: all.",
        ),
        # The codes are checked by the model (ReportScope.clean_scope), in the words the
        # browser form and the admin give too.
        "statuses": serializers.ListField(
            child=serializers.CharField(),
            required=False,
            help_text="Failure-mode statuses to include (open, mitigating, accepted, closed); "
            "empty or absent: all.",
        ),
        "min_rpn": serializers.IntegerField(
            min_value=1,
            max_value=1000,
            required=False,
            allow_null=True,
            help_text="Only failure modes with at least this RPN.",
        ),
        "action_priorities": serializers.ListField(
            child=serializers.CharField(),
            required=False,
            help_text="Action priorities to include (H, M, L); empty or absent: all.",
        ),
    }


class ScopeSerializerMixin(serializers.Serializer):
    tiers = scope_fields()["tiers"]
    applications = scope_fields()["applications"]
    statuses = scope_fields()["statuses"]
    min_rpn = scope_fields()["min_rpn"]
    action_priorities = scope_fields()["action_priorities"]


# --- report runs ----------------------------------------------------------------------


class ReportRunSerializer(ScopeSerializerMixin, ValidatedModelSerializer):
    """A report run: what was asked for, how far it got, and where to download it."""

    team = MemberTeamField(help_text="Id of one of your teams.")
    format = serializers.ChoiceField(choices=ReportFormat.choices, help_text="pdf, csv or xlsx.")
    requested_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="Who asked for it."
    )
    status = serializers.CharField(read_only=True, help_text="queued, running, done or failed.")
    progress_percent = serializers.IntegerField(read_only=True, help_text="0–100.")
    download_url = serializers.SerializerMethodField(
        help_text="Where to download the file once the run is done; null before."
    )

    class Meta:
        model = ReportRun
        fields = [
            "id",
            "team",
            "format",
            *SCOPE_FIELDS,
            "status",
            "progress_done",
            "progress_total",
            "progress_percent",
            "row_count",
            "file_size",
            "error",
            "download_url",
            "requested_by",
            "schedule",
            "changes",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = [
            "status",
            "progress_done",
            "progress_total",
            "row_count",
            "file_size",
            "error",
            "schedule",
            "changes",
            "created_at",
            "started_at",
            "finished_at",
        ]
        extra_kwargs = {
            "status": {"help_text": "queued, running, done or failed."},
            "progress_done": {"help_text": "Failure modes written so far."},
            "progress_total": {"help_text": "Failure modes in scope; null until counted."},
            "row_count": {"help_text": "Failure modes in the finished report."},
            "file_size": {"help_text": "Size of the file in bytes."},
            "error": {"help_text": "Why a failed run failed."},
            "schedule": {"help_text": "The schedule that made the run, if any."},
            "changes": {"help_text": "For a scheduled run: what changed since the last one."},
            "created_at": {"help_text": "When it was requested."},
            "started_at": {"help_text": "When generation started."},
            "finished_at": {"help_text": "When it finished (done or failed)."},
        }

    def get_download_url(self, run: ReportRun) -> str | None:
        if run.status != JobStatus.DONE:
            return None
        return reverse("reportrun-download", args=[run.pk], request=self.context.get("request"))


class FileRenderer(renderers.BaseRenderer):
    """Lets the download's Accept header name the file's type; errors stay JSON."""

    charset = None
    format = "file"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return renderers.JSONRenderer().render(data)


def file_renderer(media_type: str) -> type[FileRenderer]:
    return type(f"FileRenderer_{media_type}", (FileRenderer,), {"media_type": media_type})


@extend_schema_view(
    list=extend_schema(description="Your teams' report runs, newest first."),
    retrieve=extend_schema(
        description="A run's status and progress; `download_url` once it is done."
    ),
)
class ReportRunViewSet(TeamScopedViewSet):
    """Report runs. Every member of a team (viewers too) may request and download its
    reports: they are read-only artefacts of the register."""

    http_method_names = ["get", "post", "head", "options"]
    queryset = ReportRun.objects.select_related("requested_by").order_by("-created_at", "-id")
    serializer_class = ReportRunSerializer
    filterset_class = ReportRunFilterSet
    ordering_fields = ["created_at", "finished_at", "id"]

    @extend_schema(
        responses={
            202: ReportRunSerializer,
            400: OpenApiResponse(description="Validation error: {field: [messages]}."),
            422: KEY_REUSED,
            503: QUEUE_DOWN,
        },
        parameters=[IDEMPOTENCY_KEY],
        description=(
            "Request a report (`format`: pdf, csv or xlsx) of one of your teams, with optional "
            "scope filters. Answers 202 with the queued run; poll it for status and progress, "
            "then GET its `download_url`. Viewers may request reports too."
        ),
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        key = idempotency_key(request)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            run = runs.request_report(
                team=data["team"],
                user=request.user,
                format=data["format"],
                scope={name: data[name] for name in SCOPE_FIELDS if name in data},
                idempotency_key=key,
            )
        except IdempotencyKeyReused as error:
            raise KeyReused(error) from error
        try:
            queue_report(run)
        except QueueUnavailable as error:
            raise QueueDown(error) from error
        return Response(self.get_serializer(run).data, status=status.HTTP_202_ACCEPTED)

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        # An error is JSON, even when the client asked for the file's type.
        response.content_type = "application/json"
        return response

    @extend_schema(
        responses={
            **{
                (200, media_type): OpenApiResponse(
                    OpenApiTypes.BINARY, description="The report file."
                )
                for media_type in CONTENT_TYPES.values()
            },
            404: NOT_FOUND,
            409: OpenApiResponse(description="The run is not done (yet, or it failed)."),
        },
        description="Download a done run's file (members of the run's team only).",
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[
            renderers.JSONRenderer,
            *(file_renderer(media_type) for media_type in CONTENT_TYPES.values()),
        ],
    )
    def download(self, request: Request, pk=None):
        run = self.get_object()
        if run.status != JobStatus.DONE or not run.file:
            raise NotReady(
                f"The report is {run.get_status_display().lower()}, not ready to download."
            )
        return FileResponse(
            run.file.open("rb"),
            as_attachment=True,
            filename=run.download_name,
            content_type=CONTENT_TYPES[run.format],
        )


class NotReady(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The report is not ready to download."
    default_code = "not_ready"


# --- report schedules -----------------------------------------------------------------


class ReportScheduleSerializer(ScopeSerializerMixin, ValidatedModelSerializer):
    """A report emailed to recipients on a crontab."""

    team = MemberTeamField(help_text="Id of one of your teams.")
    format = serializers.ChoiceField(choices=ReportFormat.choices, help_text="pdf, csv or xlsx.")
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="Who made the schedule."
    )
    last_run = serializers.SerializerMethodField(
        help_text="Id, status and time of the latest run, or null."
    )

    class Meta:
        model = ReportSchedule
        fields = [
            "id",
            "team",
            "name",
            "format",
            *SCOPE_FIELDS,
            "crontab",
            "recipients",
            "enabled",
            "created_by",
            "last_run",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "name": {"help_text": "A name, unique within the team."},
            "enabled": {"help_text": "Fires only while enabled."},
            "created_at": {"help_text": "When it was made."},
            "updated_at": {"help_text": "When it last changed."},
        }

    def get_last_run(self, schedule: ReportSchedule) -> dict | None:
        run = schedule.runs.order_by("-created_at", "-id").first()
        if run is None:
            return None
        return {"id": run.pk, "status": run.status, "created_at": run.created_at}


class ReportScheduleViewSet(TeamScopedViewSet):
    """Report schedules of your teams; editors and owners change them. Each schedule is
    kept in sync with its Celery beat entry."""

    queryset = ReportSchedule.objects.select_related("created_by").order_by("name", "id")
    serializer_class = ReportScheduleSerializer
    filterset_class = ReportScheduleFilterSet
    ordering_fields = ["name", "created_at", "id"]

    def save_kwargs(self, *, created: bool) -> dict:
        return {"created_by": self.request.user} if created else {}
