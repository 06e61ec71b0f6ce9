"""The list pages' fast representation gives exactly what DRF's own path gives."""

import pytest
from django.core.management import call_command
from django.test import RequestFactory
from rest_framework import serializers
from rest_framework.request import Request

from registry.api.representation import FastRepresentationMixin
from registry.api.urls import router
from registry.demo import seed_demo
from registry.models import FailureMode, ReportRun, ReportSchedule
from tests.factories import UserFactory

FAST = [
    (prefix, viewset)
    for prefix, viewset, _ in router.registry
    if issubclass(viewset.serializer_class, FastRepresentationMixin)
]


def test_the_register_resources_use_the_fast_representation():
    prefixes = {prefix for prefix, _ in FAST}
    assert {"failure-modes", "actions", "applications", "steps", "components"} <= prefixes


@pytest.mark.django_db
@pytest.mark.parametrize(("prefix", "viewset"), FAST, ids=[prefix for prefix, _ in FAST])
def test_fast_and_generic_representations_are_equal(prefix, viewset):
    call_command("load_reference_data", verbosity=0)
    team = seed_demo()
    # Rows with empty relations and values, where a plain read has to fall back.
    bare = FailureMode.objects.filter(team=team).first()
    FailureMode.objects.filter(pk=bare.pk).update(component=None, revised_severity=None)
    ReportSchedule.objects.create(
        team=team, name="Weekly risks", crontab="0 7 * * 1", recipients="cio@example.com"
    )
    ReportRun.objects.create(team=team, format="csv", tiers=["1"])
    request = Request(RequestFactory().get("/"))
    request.user = UserFactory(is_superuser=True)
    view = viewset(request=request, format_kwarg=None, kwargs={}, action="list")
    rows = list(view.get_queryset())
    assert rows, f"the demo register has no {prefix}"
    serializer = view.get_serializer(rows, many=True)
    fast = serializer.data
    generic = [serializers.Serializer.to_representation(serializer.child, row) for row in rows]
    assert [dict(row) for row in fast] == [dict(row) for row in generic]
