"""Strict filter types: a malformed filter value is a 400, never silently ignored."""

import copy
import operator
from functools import reduce

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django_filters.constants import EMPTY_VALUES
from django_filters.filters import QuerySetRequestMixin

# Form classes of the FilterSets whose filters do not depend on the request.
FORM_CLASSES: dict[type, type[forms.Form]] = {}


class FilterSet(django_filters.FilterSet):
    """django-filter's FilterSet, with its form class built once per FilterSet.

    django-filter builds a new form class, and a form field per filter, on every
    request: a fifth of the time of a failure-mode list page of 100 went there. The
    class depends on the request only through filters that choose from a queryset of
    the request's; a FilterSet with such a filter builds its form class every time.
    """

    def get_form_class(self) -> type[forms.Form]:
        form_class = FORM_CLASSES.get(type(self))
        if form_class is None:
            form_class = super().get_form_class()
            if not any(isinstance(f, QuerySetRequestMixin) for f in self.filters.values()):
                FORM_CLASSES[type(self)] = form_class
        return form_class


class SharedSettingsMixin:
    """A filter whose copies share its settings.

    django-filter deep-copies every filter of a FilterSet for each FilterSet made, that
    is for every request, choices and help texts included: two thirds of the cost of
    filtering a failure-mode list page. A filter's settings are not changed after it
    is declared, so a copy shares them; what a FilterSet sets on its own copies (its
    model and itself as parent) is set on the copy alone.
    """

    def __deepcopy__(self, memo: dict):
        copied = copy.copy(self)
        if self.method is not None:
            copied.method = self.method  # a method bound to the copy's FilterSet
        memo[id(self)] = copied
        return copied


class IntegerFilter(SharedSettingsMixin, django_filters.NumberFilter):
    """Ids, levels and ratings: whole numbers only (`?tier=0.5` is an error)."""

    field_class = forms.IntegerField


class StrictBooleanField(forms.Field):
    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        lowered = str(value).lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise ValidationError("Use true or false.")


class StrictBooleanFilter(SharedSettingsMixin, django_filters.BooleanFilter):
    """`true` or `false`; anything else is an error."""

    field_class = StrictBooleanField


class EmptyIsError:
    """A form field for which an empty value is an error, not "no filter"."""

    empty_message = ""

    def to_python(self, value):
        if value == "":
            raise ValidationError(self.empty_message)
        return super().to_python(value)


class StrictDateField(EmptyIsError, forms.DateField):
    empty_message = "Give a date as YYYY-MM-DD."


class StrictDateFilter(SharedSettingsMixin, django_filters.DateFilter):
    """A date (YYYY-MM-DD); an empty value is an error rather than no filter."""

    field_class = StrictDateField


class StrictUUIDField(EmptyIsError, forms.UUIDField):
    empty_message = "Give a UUID, e.g. 1f0c6a52-9a8e-4c1b-8f4e-2d9b0c3a7e51."


class StrictUUIDFilter(SharedSettingsMixin, django_filters.UUIDFilter):
    """A UUID; an empty value is an error rather than no filter."""

    field_class = StrictUUIDField


class MultipleChoiceFilter(SharedSettingsMixin, django_filters.MultipleChoiceFilter):
    """One or more values of a column of the row itself.

    django-filter adds DISTINCT to these by default (for filters across to-many joins);
    on a column of the row it only forces a sort of every matching row before a page.
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


class TextSearchFilter(SharedSettingsMixin, django_filters.CharFilter):
    """Text found, in any case, in one of `columns` (`?q=`). The trigram indexes of the
    failure modes' text match the SQL that `icontains` is written as."""

    def __init__(self, *args, columns: tuple[str, ...], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.columns = columns

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        if value in EMPTY_VALUES:
            return qs
        return qs.filter(
            reduce(operator.or_, (Q(**{f"{c}__icontains": value}) for c in self.columns))
        )
