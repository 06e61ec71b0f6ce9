"""Building blocks shared by every API resource: team scoping, model validation on
writes, role checks, and optimistic concurrency with ETag / If-Match."""

from __future__ import annotations

import copy

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from fmea import observability
from registry.api.fields import StrictBooleanField, StrictCharField, StrictSlugField
from registry.db.representation import FastRepresentationMixin, row_plan
from registry.models import Membership, StaleEditError, Team
from registry.querysets import WRITE_ROLES

ID_HELP = "Unique id of the row."
WRITE_ERRORS = {
    400: OpenApiResponse(description="Validation error: {field: [messages]}."),
    403: OpenApiResponse(description="Your role in the team is read-only."),
    404: OpenApiResponse(description="No such object in your teams."),
}


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The object was changed since you read it; fetch it again and retry."
    default_code = "precondition_failed"


def as_api_error(error: DjangoValidationError) -> serializers.ValidationError:
    """A model's or a service's refusal as the API's 400: {field: [messages]}."""
    errors = serializers.as_serializer_error(error)
    if NON_FIELD_ERRORS in errors:
        errors[api_settings.NON_FIELD_ERRORS_KEY] = errors.pop(NON_FIELD_ERRORS)
    return serializers.ValidationError(errors)


class ValidatedModelSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    # Runs the model's full_clean() on API writes: the same validation, and the same
    # messages on the same fields, as forms and the admin. The model says where a
    # violated constraint is answered (`constraint_fields`), so DRF's own unique-together
    # validators are switched off (`validators = []` in each Meta): they would answer
    # under `non_field_errors` in words of their own.
    # (Comments, not a docstring, so that subclasses do not inherit them in the schema.)

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.SlugField: StrictSlugField,
        models.BooleanField: StrictBooleanField,
    }

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        concrete = {field.name for field in self.Meta.model._meta.concrete_fields}
        plain = {name: value for name, value in attrs.items() if name in concrete}
        if self.instance is None:
            instance = self.Meta.model(**plain)
        else:
            instance = copy.copy(self.instance)
            for name, value in plain.items():
                setattr(instance, name, value)
        self.before_clean(instance)
        try:
            instance.full_clean(exclude=self.full_clean_exclude(instance))
        except DjangoValidationError as exc:
            raise as_api_error(exc) from exc
        # clean() may fill in derived fields (e.g. a failure mode's team from its step).
        for name in self.derived_fields():
            attrs[name] = getattr(instance, name)
        return attrs

    def before_clean(self, instance: models.Model) -> None:
        """Fill in what the request implies (who decided) before the model's rules run."""

    def full_clean_exclude(self, instance: models.Model) -> list[str]:
        return []

    def derived_fields(self) -> tuple[str, ...]:
        return ()


def user_can_write(user, team_id: int) -> bool:
    if user.is_superuser:
        return True
    return Membership.objects.filter(team_id=team_id, user=user, role__in=WRITE_ROLES).exists()


class TeamScopedViewSet(viewsets.ModelViewSet):
    """CRUD over one team-owned model.

    Reads see the caller's teams only (other teams' objects are 404). Writes need the
    editor or owner role in the object's team (`team_of` says which team that is).
    """

    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        observability.set_user(request.user)

    def get_queryset(self) -> models.QuerySet:
        return self.queryset.visible_to(self.request.user)

    # The lookups the paginator reads a page's rows with, for `list` (None: instances).
    page_row_lookups: tuple[str | models.Expression, ...] | None = None

    def list(self, request: Request, *args, **kwargs) -> Response:
        # Where every field is a plain column, the page's rows are read as tuples:
        # building model instances would take a third of the time of a page of 100.
        plan = row_plan(self.get_serializer_class())
        if plan is None:
            return super().list(request, *args, **kwargs)
        self.page_row_lookups = plan.lookups
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        if page is None:
            return Response(plan.represent(queryset.values_list(*plan.lookups)))
        return self.get_paginated_response(plan.represent(page))

    def update(self, request: Request, *args, **kwargs) -> Response:
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        if getattr(instance, "_prefetched_objects_cache", None):
            instance._prefetched_objects_cache = {}  # regions may have changed
        # Answered whole, by a serializer that is not partial: DRF leaves out of a PATCH's
        # answer the fields that have a default (a null application's name, say), which
        # the schema says are always there.
        return Response(self.get_serializer(serializer.instance).data)

    def team_of(self, instance_or_data) -> int:
        return instance_or_data.team_id

    def check_write(self, team_id: int | None) -> None:
        # Fail closed: a write whose team cannot be told is refused.
        if team_id is None or not user_can_write(self.request.user, team_id):
            raise exceptions.PermissionDenied("Your role in this team is read-only.")

    def perform_create(self, serializer) -> None:
        self.check_write(self.team_of_data(serializer.validated_data))
        serializer.save(**self.save_kwargs(created=True))

    def perform_update(self, serializer) -> None:
        current = self.team_of(serializer.instance)
        self.check_write(current)
        # A write that moves the row to another team needs the write role there too.
        target = self.team_of_data(serializer.validated_data)
        if target is not None and target != current:
            self.check_write(target)
        serializer.save(**self.save_kwargs(created=False))

    def perform_destroy(self, instance) -> None:
        self.check_write(self.team_of(instance))
        instance.delete()

    def team_of_data(self, data: dict) -> int | None:
        team = data.get("team")
        return team.pk if isinstance(team, Team) else team

    def save_kwargs(self, *, created: bool) -> dict:
        return {}


class VersionedViewSetMixin:
    """ETag from `version` on every single-object response; a PUT/PATCH with a stale
    `If-Match` answers 412 and changes nothing. Without If-Match the write is accepted."""

    def expected_version(self, request: Request) -> int | None:
        header = request.headers.get("If-Match")
        if not header or header.strip() == "*":
            return None
        try:
            return int(header.strip().removeprefix("W/").strip('"'))
        except ValueError as exc:
            raise exceptions.ParseError(
                'If-Match must be an ETag from this API, e.g. "3".'
            ) from exc

    def with_etag(self, response: Response, instance) -> Response:
        response["ETag"] = f'"{instance.version}"'
        return response

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        instance = self.get_object()
        return self.with_etag(Response(self.get_serializer(instance).data), instance)

    def update(self, request: Request, *args, **kwargs) -> Response:
        instance = self.get_object()
        expected = self.expected_version(request)
        if expected is not None:
            if expected != instance.version:
                raise PreconditionFailed()
            # Saved with `WHERE version = expected`, so a write that lands between this
            # check and ours is still caught.
            instance.version = expected
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        try:
            self.perform_update(serializer)
        except StaleEditError as exc:
            raise PreconditionFailed() from exc
        # Read back (stored RPN/AP, new version) with the related names in one query.
        instance = self.get_queryset().get(pk=instance.pk)
        return self.with_etag(Response(self.get_serializer(instance).data), instance)

    def perform_create(self, serializer) -> None:
        super().perform_create(serializer)
        serializer.instance.refresh_from_db()


class RegisterViewSet(TeamScopedViewSet):
    """TeamScopedViewSet that answers writes with the row re-read with its annotations."""

    def perform_update(self, serializer) -> None:
        super().perform_update(serializer)
        self.reload(serializer)

    def perform_create(self, serializer) -> None:
        super().perform_create(serializer)
        self.reload(serializer)

    def reload(self, serializer) -> None:
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)
