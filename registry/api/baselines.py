"""Baselines: frozen, approved revisions of an application's FMEA, and their diff.

A baseline is created (frozen) and approved, never edited or deleted: the resource
answers GET and POST only.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from registry.api.base import ID_HELP, WRITE_ERRORS, as_api_error
from registry.filtersets import BaselineFilterSet
from registry.models import Application, Baseline
from registry.reports import baselines as reports
from registry.services import baselines


class BaselineSerializer(serializers.ModelSerializer):
    """A frozen revision of an application's FMEA: number, title, who froze it and who
    approved it. Its content is read through the diff and its reports."""

    application_name = serializers.CharField(
        source="application.name", read_only=True, help_text="The application's name."
    )
    created_by = serializers.CharField(
        source="created_by.username",
        read_only=True,
        default=None,
        allow_null=True,
        help_text="Who froze it (null: an account since deleted).",
    )
    approved_by = serializers.CharField(
        source="approved_by.username",
        read_only=True,
        default=None,
        allow_null=True,
        help_text="Who approved it (null: not approved, or an account since deleted).",
    )
    stamp = serializers.CharField(
        read_only=True, help_text='"Revision N, approved by X on D", as its reports show.'
    )

    class Meta:
        model = Baseline
        fields = [
            "id",
            "team",
            "application",
            "application_name",
            "number",
            "title",
            "notes",
            "created_by",
            "created_at",
            "approved_by",
            "approved_at",
            "stamp",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": ID_HELP},
            "application": {"help_text": "Id of the application frozen."},
            "created_at": {"help_text": "When it was frozen."},
        }


class BaselineCreateSerializer(serializers.Serializer):
    """What freezing a baseline takes."""

    application = serializers.PrimaryKeyRelatedField(
        queryset=Application.objects.none(), help_text="Id of the application to freeze."
    )
    title = serializers.CharField(max_length=200, help_text="What this revision is.")
    notes = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Why it was frozen."
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:  # (the schema is built without one)
            self.fields["application"].queryset = Application.objects.visible_to(request.user)


class ChangeSerializer(serializers.Serializer):
    """One failure mode added, removed or changed, with its figures before → after."""

    id = serializers.IntegerField(help_text="Id of the failure mode.")
    step = serializers.CharField(help_text="The step's name.")
    mode = serializers.CharField(help_text="The failure mode.")
    kind = serializers.ChoiceField(choices=["added", "removed", "changed"])
    fields = serializers.ListField(child=serializers.CharField(), help_text="What changed.")
    severity = serializers.DictField(help_text="{before, after}")
    probability = serializers.DictField(help_text="{before, after}")
    detectability = serializers.DictField(help_text="{before, after}")
    rpn = serializers.DictField(help_text="{before, after}")
    action_priority = serializers.DictField(help_text="{before, after}")


class DiffSerializer(serializers.Serializer):
    before = serializers.CharField(help_text='The older state, e.g. "Rev 1".')
    after = serializers.CharField(help_text='The newer state: "Rev 2", or "now".')
    counts = serializers.DictField(
        child=serializers.IntegerField(), help_text="How many rows were added, removed, changed."
    )
    changes = ChangeSerializer(many=True, help_text="The rows, the newer state's order.")


class BaselineViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Baselines of the caller's teams' applications. Team owners freeze (POST) and
    approve them; nobody edits or deletes one."""

    # The snapshot is read by the diff only: a list of revisions leaves it out.
    queryset = Baseline.objects.select_related("application", "created_by", "approved_by").defer(
        "snapshot"
    )
    serializer_class = BaselineSerializer
    filterset_class = BaselineFilterSet
    ordering_fields = ["number", "created_at", "approved_at", "id"]

    def get_queryset(self):
        return self.queryset.visible_to(self.request.user).order_by("application_id", "-number")

    @extend_schema(
        request=BaselineCreateSerializer,
        responses={201: BaselineSerializer, **WRITE_ERRORS},
        description="Freeze the next revision of an application's FMEA (team owners).",
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        form = BaselineCreateSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        try:
            baseline = baselines.freeze(user=request.user, **form.validated_data)
        except DjangoValidationError as exc:
            raise as_api_error(exc) from exc
        return Response(
            self.get_serializer(self.get_queryset().get(pk=baseline.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=None,
        responses={200: BaselineSerializer, **WRITE_ERRORS},
        description="Approve the baseline (a team owner; not its creator while the team "
        "has another owner).",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk=None) -> Response:
        try:
            baseline = baselines.approve(self.get_object(), request.user)
        except DjangoValidationError as exc:
            raise as_api_error(exc) from exc
        return Response(self.get_serializer(self.get_queryset().get(pk=baseline.pk)).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "against",
                OpenApiTypes.STR,
                description='Another baseline\'s id (same application), or "current".',
                required=True,
            )
        ],
        responses={200: DiffSerializer, 400: WRITE_ERRORS[400], 404: WRITE_ERRORS[404]},
        description="Failure modes added, removed and changed between the two states, "
        "with ratings, RPN and AP before → after; the lower revision is the before.",
    )
    @action(detail=True, methods=["get"])
    def diff(self, request: Request, pk=None) -> Response:
        baseline = self.get_object()
        try:
            comparison = baselines.compare(baseline, request.query_params.get("against", ""))
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"against": exc.messages}) from exc
        return Response(
            {
                "before": comparison.before,
                "after": comparison.after,
                "counts": comparison.counts(),
                "changes": [change.as_dict() for change in comparison.changes],
            }
        )

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 404: WRITE_ERRORS[404]},
        description="The baseline's report (.pdf or .xlsx): its worksheet and the changes "
        'since, every page stamped "Revision N, approved by X on D".',
    )
    @action(detail=True, methods=["get"], url_path=r"report\.(?P<file_format>pdf|xlsx)")
    def report(self, request: Request, pk=None, file_format: str = "pdf") -> HttpResponse:
        return reports.download(self.get_object(), file_format)
