"""The list pages' fast representation gives exactly what DRF's own path gives."""

import datetime

import pytest
from django.core.management import call_command
from django.db.models import F
from django.test import RequestFactory
from rest_framework import serializers
from rest_framework.request import Request

from registry.api.failure_modes import FailureModeViewSet
from registry.api.urls import router
from registry.db.expressions import IsoTimestamp
from registry.db.representation import FastRepresentationMixin, row_plan
from registry.models import FailureMode, ReportRun, ReportSchedule, WebhookSubscription
from registry.services.demo import seed_demo
from registry.services.teams import invitation_create
from tests.factories import FailureModeFactory, UserFactory

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


@pytest.mark.parametrize(
    "moment",
    [
        datetime.datetime(2026, 12, 4, 6, 51, 55, 597239, tzinfo=datetime.UTC),
        datetime.datetime(2026, 12, 4, 6, 51, 55, tzinfo=datetime.UTC),  # no fraction
        datetime.datetime(2026, 12, 4, 6, 51, 55, 100000, tzinfo=datetime.UTC),  # .100000
        datetime.datetime(2026, 12, 4, 6, 51, 55, 7, tzinfo=datetime.UTC),  # .000007
        datetime.datetime(1999, 1, 1, 0, 0, 0, 1, tzinfo=datetime.UTC),
    ],
)
def test_the_database_writes_timestamps_as_drf_does(postgres, moment):
    """On PostgreSQL a list page's timestamps are written by the database; the text is
    DRF's, fraction or none, to the microsecond."""
    failure_mode = FailureModeFactory()
    FailureMode.objects.filter(pk=failure_mode.pk).update(created_at=moment, accepted_at=None)
    ((written, empty),) = FailureMode.objects.filter(pk=failure_mode.pk).values_list(
        IsoTimestamp(F("created_at")), IsoTimestamp(F("accepted_at"))
    )
    assert written == serializers.DateTimeField().to_representation(moment)
    assert empty is None


def test_list_pages_on_postgresql_read_timestamps_as_text(postgres):
    plan = row_plan(FailureModeViewSet.serializer_class)
    written = {
        name
        for name, lookup in zip(plan.names, plan.lookups, strict=True)
        if isinstance(lookup, IsoTimestamp)
    }
    assert written == {"created_at", "updated_at", "accepted_at", "review_signed_off_at"}
    assert not written & {field.field_name for field, _ in plan.converted}
