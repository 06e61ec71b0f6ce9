"""The FilterSets build their form class once, and still validate every request."""

import pytest
from django.http import QueryDict

from registry.filtersets import FailureModeFilterSet
from registry.models import FailureMode


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
