"""A faster `to_representation` for list pages of model serializers.

DRF reads each field of each row through `Field.get_attribute`, which checks at every
step whether the value is a mapping or a callable. On a page of 100 failure modes that
is 3,000 such reads and a quarter of the request's time. Most fields here only read a
model field, possibly across foreign keys (`step.application.name`): for those the
path is resolved once per serializer against the model's fields and read with
`operator.attrgetter`, and a related id is read from its column (`step_id`) instead of
through the related object. Everything else, and any read that fails (a null foreign
key on the way, for instance), goes through DRF's own path, so the output is the same
(tests/api/test_representation.py compares the two on every resource).

Where every field is such a plain read, a list page goes further: it is fetched with
`values_list` as tuples, without building model instances, and each tuple becomes the
row's dictionary (`row_plan`, built once per serializer class). Values that DRF would
return as they are (integers, text, booleans, ids) are not converted at all.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import cache, cached_property, partial

from django.core.exceptions import FieldDoesNotExist
from django.db import DEFAULT_DB_ALIAS, connections, models
from rest_framework import ISO_8601, relations, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings

from registry.db.expressions import IsoTimestamp

UTC_NAMES = {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Zulu", "Etc/Zulu", "GMT", "Etc/GMT"}

Reader = Callable[[object], object] | None
Converter = Callable[[object], object] | None

# DRF fields whose to_representation returns a value of these Python types unchanged
# (int(3), str("open"), a choice's own value); model columns of these internal types
# come back from the database as those types.
UNCHANGED = {
    serializers.IntegerField.to_representation: int,
    serializers.CharField.to_representation: str,
    serializers.ChoiceField.to_representation: str,
    serializers.BooleanField.to_representation: bool,
}
PYTHON_TYPES = {
    int: {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
    },
    str: {"CharField", "TextField", "SlugField", "EmailField", "URLField"},
    bool: {"BooleanField"},
}


def model_field_path(model: type[models.Model], attrs: list[str]) -> str | None:
    """`a.b.c` when every step but the last is a foreign key and the last a plain
    (non-relational) field of the model reached; None otherwise."""
    for position, attr in enumerate(attrs):
        try:
            field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return None
        last = position == len(attrs) - 1
        if last:
            if not field.concrete or field.many_to_many:
                return None
            # A plain column, or a foreign key's own column read by its attname (`tier_id`).
            plain = not field.is_relation or attr == field.attname
            return ".".join(attrs) if plain else None
        if not (field.many_to_one or field.one_to_one) or not field.concrete:
            return None
        model = field.related_model
    return None


def model_field_at(model: type[models.Model], path: str) -> models.Field:
    *relations_, last = path.split(".")
    for attr in relations_:
        model = model._meta.get_field(attr).related_model
    return model._meta.get_field(last)


def iso_datetime(field: serializers.DateTimeField, zone: tzinfo, value: datetime) -> str:
    """DRF's ISO 8601 output of an aware datetime, with the field's time zone looked up
    once per page instead of once per value."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        return field.to_representation(value)
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def iso_zone(field: serializers.Field) -> tzinfo | None:
    """The time zone a DRF datetime field writes ISO 8601 in; None for other fields and
    formats."""
    if type(field).to_representation is not serializers.DateTimeField.to_representation:
        return None
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    if not output_format or output_format.lower() != ISO_8601:
        return None
    return field.timezone if hasattr(field, "timezone") else field.default_timezone()


def written_by_database(field: serializers.Field) -> bool:
    """Whether the database writes the field's text: an ISO 8601 datetime in UTC, on
    PostgreSQL (`IsoTimestamp`). Parsing each timestamp and writing it out again took
    a third of the time of representing a page of 100 failure modes. The register
    does not switch time zones per request, so the zone of TIME_ZONE holds."""
    zone = iso_zone(field)
    if zone is None or connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        return False
    return zone is UTC or getattr(zone, "key", None) in UTC_NAMES


def converter(field: serializers.Field, model_field: models.Field) -> Converter:
    """None where DRF would return the stored value unchanged; else its conversion."""
    zone = iso_zone(field)
    if zone is not None:
        return partial(iso_datetime, field, zone)
    python_type = UNCHANGED.get(type(field).to_representation)
    if isinstance(field, serializers.BigIntegerField) and not getattr(
        field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING
    ):
        python_type = int  # a primary key, written as a number
    # A foreign key's own column (`step.application_id`) holds its target's type.
    column = model_field.target_field if model_field.many_to_one else model_field
    if python_type is None or column.get_internal_type() not in PYTHON_TYPES[python_type]:
        return field.to_representation
    if isinstance(field, serializers.ChoiceField) and not all(
        isinstance(key, str) for key in field.choices
    ):
        return field.to_representation
    return None


def related_id_column(model: type[models.Model], field: serializers.Field) -> str | None:
    """The id column behind a primary-key related field (`step` → `step_id`)."""
    if not isinstance(field, relations.PrimaryKeyRelatedField) or field.pk_field is not None:
        return None
    if len(field.source_attrs) != 1:
        return None
    try:
        model_field = model._meta.get_field(field.source_attrs[0])
    except FieldDoesNotExist:
        return None
    if model_field.many_to_one or (model_field.one_to_one and model_field.concrete):
        return model_field.attname
    return None


@dataclass(frozen=True)
class RowPlan:
    """How a serializer's list page is read as `values_list(*lookups)` tuples and
    turned into the dictionaries its to_representation gives for the same rows."""

    names: tuple[str, ...]
    # Columns by name; datetimes the database writes as text, as expressions.
    lookups: tuple[str | models.Expression, ...]
    # The fields whose values DRF converts (dates, decimals...), with their columns.
    converted: tuple[tuple[serializers.Field, models.Field], ...]

    def represent(self, rows) -> list[dict]:
        conversions = [
            (field.field_name, converter(field, model_field))
            for field, model_field in self.converted
        ]
        represented = []
        for row in rows:
            item = dict(zip(self.names, row, strict=True))
            for name, convert in conversions:
                value = item[name]
                if value is not None:
                    item[name] = convert(value)
            represented.append(item)
        return represented


@cache
def row_plan(serializer_class: type[serializers.ModelSerializer]) -> RowPlan | None:
    """The serializer's RowPlan, when every field is a plain read of a column and both
    the representation and the fields are the mixin's and DRF's own (fields that could
    depend on the request are not); None otherwise. Built once per class."""
    if not issubclass(serializer_class, FastRepresentationMixin):
        return None
    if serializer_class.to_representation is not FastRepresentationMixin.to_representation:
        return None
    if serializer_class.get_fields is not serializers.ModelSerializer.get_fields:
        return None
    serializer = serializer_class(context={})
    if any(path is None for _, path, _ in serializer._paths):
        return None
    model = serializer.Meta.model
    lookups: list[str | models.Expression] = []
    converted = []
    for field, path, is_id in serializer._paths:
        lookup = path.replace(".", "__")
        if is_id:
            lookups.append(lookup)
        elif written_by_database(field):
            lookups.append(IsoTimestamp(models.F(lookup)))
        else:
            lookups.append(lookup)
            if converter(field, model_field := model_field_at(model, path)):
                converted.append((field, model_field))
    return RowPlan(
        names=tuple(field.field_name for field, _, _ in serializer._paths),
        lookups=tuple(lookups),
        converted=tuple(converted),
    )


class FastRepresentationMixin:
    """Reads plain model fields with attrgetter; DRF's generic path for the rest."""

    @cached_property
    def _paths(self) -> list[tuple[serializers.Field, str | None, bool]]:
        """Each readable field with the dotted path it reads, and whether it is an id."""
        model = self.Meta.model
        paths = []
        for field in self._readable_fields:
            column = related_id_column(model, field)
            if column is not None:
                paths.append((field, column, True))
            elif isinstance(field, serializers.SerializerMethodField) or field.source == "*":
                paths.append((field, None, False))
            else:
                paths.append((field, model_field_path(model, field.source_attrs), False))
        return paths

    @cached_property
    def _readers(self) -> list[tuple[serializers.Field, Reader, bool]]:
        return [
            (field, operator.attrgetter(path) if path else None, is_id)
            for field, path, is_id in self._paths
        ]

    def to_representation(self, instance) -> dict:
        row = {}
        for field, reader, is_id in self._readers:
            try:
                if reader is None:
                    raise AttributeError
                value = reader(instance)
            except AttributeError:  # not a plain read, or a null foreign key on the way
                try:
                    value = field.get_attribute(instance)
                except SkipField:
                    continue
                # DRF's own rule: None (or a related object without a pk) stays None.
                empty = value.pk is None if isinstance(value, PKOnlyObject) else value is None
                row[field.field_name] = None if empty else field.to_representation(value)
                continue
            if value is None or is_id:
                row[field.field_name] = value
            else:
                row[field.field_name] = field.to_representation(value)
        return row
