"""The list pages' fast representation gives exactly what DRF's own path gives."""

import pytest
from django.core.management import call_command
from django.test import RequestFactory
from rest_framework import serializers
from rest_framework.request import Request

from registry.api.urls import router
from registry.db.representation import FastRepresentationMixin, row_plan
from registry.models import FailureMode, ReportRun, ReportSchedule, WebhookSubscription
from registry.services.demo import seed_demo
from registry.services.teams import invitation_create
from tests.factories import UserFactory

FAST = [
    (prefix, viewset)
    for prefix, viewset, _ in router.registry
    if issubclass(viewset.serializer_class, FastRepresentationMixin)
]


def test_the_register_resources_use_the_fast_representation():
    prefixes = {prefix for prefix, _ in FAST}
    assert {"failure-modes", "actions", "applications", "steps", "components"} <= prefixes


def demo_list_view(viewset):
    """The viewset's list, for a superuser, over the demo register plus rows with empty
    relations and values (where a plain read has to fall back)."""
    call_command("load_reference_data", verbosity=0)
    team = seed_demo()
    bare = FailureMode.objects.filter(team=team).first()
    FailureMode.objects.filter(pk=bare.pk).update(component=None, revised_severity=None)
    ReportSchedule.objects.create(
        team=team, name="Weekly risks", crontab="0 7 * * 1", recipients="cio@example.com"
    )
    ReportRun.objects.create(team=team, format="csv", tiers=["1"])
    invitation_create(team=team, username="newcomer", role="viewer", invited_by=None)
    WebhookSubscription.objects.create(
        team=team, url="https://hooks.example.com/fmea", events=["finding.opened"]
    )
    request = Request(RequestFactory().get("/"))
    request.user = UserFactory(is_superuser=True)
    return viewset(request=request, format_kwarg=None, kwargs={}, action="list")


@pytest.mark.django_db
@pytest.mark.parametrize(("prefix", "viewset"), FAST, ids=[prefix for prefix, _ in FAST])
def test_fast_and_generic_representations_are_equal(prefix, viewset):
    view = demo_list_view(viewset)
    rows = list(view.get_queryset())
    assert rows, f"the demo register has no {prefix}"
    serializer = view.get_serializer(rows, many=True)
    fast = serializer.data
    generic = [serializers.Serializer.to_representation(serializer.child, row) for row in rows]
    assert [dict(row) for row in fast] == [dict(row) for row in generic]


# Resources whose every field is a plain column: their lists are read as tuples.
TUPLES = [(prefix, viewset) for prefix, viewset in FAST if row_plan(viewset.serializer_class)]


def test_the_failure_mode_list_is_read_as_tuples():
    """Every field of a failure mode is a plain column: its list skips model instances."""
    assert "failure-modes" in {prefix for prefix, _ in TUPLES}


@pytest.mark.django_db
@pytest.mark.parametrize(("prefix", "viewset"), TUPLES, ids=[prefix for prefix, _ in TUPLES])
def test_rows_read_as_tuples_are_represented_as_drf_would(prefix, viewset):
    view = demo_list_view(viewset)
    serializer = view.get_serializer()
    plan = row_plan(view.get_serializer_class())
    queryset = view.get_queryset()
    rows = list(queryset)
    assert rows, f"the demo register has no {prefix}"
    generic = [serializers.Serializer.to_representation(serializer, row) for row in rows]
    assert plan.represent(queryset.values_list(*plan.lookups)) == [dict(row) for row in generic]
