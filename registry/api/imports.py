"""Worksheet imports into your teams (CSV or XLSX): all rows or none.

Importing writes to the register, so it needs the editor or owner role in the team.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from registry.api.base import user_can_write
from registry.api.fields import MemberTeamField
from registry.api.jobs import (
    IDEMPOTENCY_KEY,
    KEY_REUSED,
    QUEUE_DOWN,
    KeyReused,
    QueueDown,
    idempotency_key,
)
from registry.filtersets.imports import WorksheetImportFilterSet
from registry.imports import jobs
from registry.imports.tasks import queue_import
from registry.jobs import IdempotencyKeyReused, QueueUnavailable
from registry.models import JobStatus, WorksheetImport


class WorksheetImportSerializer(serializers.ModelSerializer):
    """A worksheet import: its status, progress, and the problems or what was created."""

    requested_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="Who uploaded it."
    )
    status = serializers.CharField(read_only=True, help_text="queued, running, done or failed.")
    progress_percent = serializers.IntegerField(read_only=True, help_text="0–100.")

    class Meta:
        model = WorksheetImport
        fields = [
            "id",
            "team",
            "source_name",
            "dry_run",
            "status",
            "progress_done",
            "progress_total",
            "progress_percent",
            "row_count",
            "errors",
            "summary",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "team": {"help_text": "The team imported into."},
            "status": {"help_text": "queued, running, done or failed."},
            "progress_done": {"help_text": "Progress so far (checking, then writing)."},
            "progress_total": {"help_text": "Where progress ends."},
            "row_count": {"help_text": "Rows read from the worksheet."},
            "created_at": {"help_text": "When it was uploaded."},
            "started_at": {"help_text": "When checking started."},
            "finished_at": {"help_text": "When it finished."},
        }


class WorksheetUploadSerializer(serializers.Serializer):
    """A worksheet upload (multipart/form-data)."""

    file = serializers.FileField(
        help_text="CSV (UTF-8) or XLSX in the sample worksheet's or the export's layout."
    )
    team = MemberTeamField(help_text="Id of one of your teams (editor or owner role).")
    dry_run = serializers.BooleanField(
        default=False, help_text="Only check, and say what would be created."
    )


class WorksheetImportViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Worksheet imports into your teams: all rows or none."""

    queryset = WorksheetImport.objects.select_related("requested_by").order_by(
        "-created_at", "-id"
    )
    serializer_class = WorksheetImportSerializer
    filterset_class = WorksheetImportFilterSet
    parser_classes = [MultiPartParser]
    ordering_fields = ["created_at", "id"]

    def get_queryset(self):
        return self.queryset.visible_to(self.request.user)

    @extend_schema(
        request={"multipart/form-data": WorksheetUploadSerializer},
        responses={
            200: OpenApiResponse(
                WorksheetImportSerializer, description="Dry run: what would be created."
            ),
            201: OpenApiResponse(WorksheetImportSerializer, description="Imported."),
            202: OpenApiResponse(
                WorksheetImportSerializer,
                description="A large file: queued; poll the import for progress.",
            ),
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="Refused: the import (as for 201) with `status` failed and "
                "`errors` listing each problem with row, column and message; nothing was "
                "written. A request without a file or team: {field: [messages]}.",
            ),
            403: OpenApiResponse(description="Your role in the team is read-only."),
            422: KEY_REUSED,
            503: QUEUE_DOWN,
        },
        parameters=[IDEMPOTENCY_KEY],
        description=(
            "Upload a worksheet (CSV or XLSX) to import into a team. Every row is checked "
            "first; with any problem nothing is written and `errors` says what and where. "
            f"Files up to {settings.IMPORT_MAX_BYTES // (1024 * 1024)} MB; larger than "
            f"{settings.IMPORT_INLINE_MAX_BYTES // 1024} KB are imported by a background "
            "task (202)."
        ),
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        upload = WorksheetUploadSerializer(data=request.data, context={"request": request})
        upload.is_valid(raise_exception=True)
        team = upload.validated_data["team"]
        if not user_can_write(request.user, team.pk):
            raise exceptions.PermissionDenied("Your role in this team is read-only.")
        file = upload.validated_data["file"]
        try:
            job = jobs.start_import(
                team=team,
                user=request.user,
                upload=file,
                source_name=file.name,
                dry_run=upload.validated_data["dry_run"],
                idempotency_key=idempotency_key(request),
            )
        except IdempotencyKeyReused as error:
            raise KeyReused(error) from error
        try:
            queue_import(job)
        except QueueUnavailable as error:
            raise QueueDown(error) from error
        # A retry with the job's key is answered as the first request was.
        if job.background:
            code = status.HTTP_202_ACCEPTED
        elif job.status == JobStatus.FAILED:
            code = status.HTTP_400_BAD_REQUEST
        else:
            code = status.HTTP_200_OK if job.dry_run else status.HTTP_201_CREATED
        return Response(self.get_serializer(job).data, status=code)
