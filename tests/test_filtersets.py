"""The FilterSets build their form class once, and still validate every request."""

import pytest
from django.http import QueryDict

from registry.filtersets import ActionFilterSet, FailureModeFilterSet
from registry.models import Action, FailureMode


@pytest.mark.django_db
def test_the_form_class_is_built_once_and_still_validates():
    valid = FailureModeFilterSet(QueryDict("tier=1&status=open"), FailureMode.objects.all())
    invalid = FailureModeFilterSet(QueryDict("tier=0.5&status=gone"), FailureMode.objects.all())
    assert type(valid.form) is type(invalid.form)
    assert valid.is_valid()
    assert valid.form.cleaned_data["tier"] == 1
    assert not invalid.is_valid()
    assert set(invalid.errors) == {"tier", "status"}
    # Each filterset has its own form and fields: one request's values never leak.
    assert valid.form.fields["tier"] is not invalid.form.fields["tier"]


@pytest.mark.django_db
def test_each_filterset_has_its_own_filters_bound_to_it():
    """Filters are copied cheaply per FilterSet, but each copy knows its own FilterSet,
    and a method filter calls its own FilterSet's method."""
    first = ActionFilterSet(QueryDict("overdue=true"), Action.objects.all())
    second = ActionFilterSet(QueryDict("overdue=false"), Action.objects.all())
    for name in ("overdue", "status", "team"):
        assert first.filters[name] is not second.filters[name]
        assert first.filters[name].parent is first and second.filters[name].parent is second
    assert first.filters["overdue"].filter.f is first.filters["overdue"]
    assert str(first.qs.query) != str(second.qs.query)
    assert not hasattr(ActionFilterSet.base_filters["overdue"], "parent")
