"""The API's orjson renderer writes exactly the bytes DRF's own JSONRenderer writes."""

import datetime
import decimal
import math
import random
import struct
import uuid

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from registry.api.renderers import JSONRenderer
from tests.factories import FailureModeFactory

DRF = renderers.JSONRenderer()
FAST = JSONRenderer()
UTC = datetime.UTC


def both(data, media_type="application/json", context=None):
    return FAST.render(data, media_type, context), DRF.render(data, media_type, context)


AWKWARD = {
    "text": 'Disk fills up \u2028 line\u2029para \x00\x1f\x7f "quoted" \\ é 😀 </script>',
    "numbers": [0, -1, 2**63 - 1, 2**64 - 1, 0.1, 99.999, -0.0, 1e22, 1e16, 123.456],
    "small floats": [1e-7, 2.5e-5, 0.000123, 5e-324],
    "decimals": [decimal.Decimal("99.999"), decimal.Decimal("0.00001")],
    "datetimes": [
        datetime.datetime(2026, 12, 4, 3, 58, 43, 353123, tzinfo=UTC),
        datetime.datetime(2026, 12, 4, 3, 58, 43, tzinfo=UTC),
        datetime.datetime(2026, 12, 4, 3, 58, 43, 500),
        datetime.date(2026, 12, 4),
        datetime.time(3, 58, 43, 120000),
        datetime.timedelta(hours=2),
    ],
    "lazy": gettext_lazy("This field is required."),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "keys": {1: "one", None: "none", False: "no", "x": "x"},
    "nested": ReturnDict({"rows": ReturnList([{"a": (1, 2)}], serializer=None)}, serializer=None),
    "empty": [{}, [], "", None, False, True],
    "set": {3},
}


@pytest.mark.parametrize("name", list(AWKWARD))
def test_awkward_values_render_as_drf_renders_them(name):
    fast, drf = both({name: AWKWARD[name]})
    assert fast == drf


def test_integers_past_64_bits_render_as_drf_renders_them():
    """orjson refuses them; DRF's renderer writes them."""
    fast, drf = both({"big": 2**70, "negative": -(2**64)})
    assert fast == drf == b'{"big":1180591620717411303424,"negative":-18446744073709551616}'


def test_random_floats_render_as_drf_renders_them():
    generator = random.Random(20)
    values = [struct.unpack("d", generator.randbytes(8))[0] for _ in range(5000)]
    values += [generator.random() * 10.0**exponent for exponent in range(-30, 30)]
    values = [value for value in values if math.isfinite(value)]
    for value in values:
        fast, drf = both({"value": value})
        assert fast == drf, value


def test_indented_answers_are_drfs():
    """`Accept: application/json; indent=4` and the browsable API indent as DRF does."""
    data = {"rows": [{"id": 1, "mode": "Disk fills up"}]}
    fast, drf = both(data, "application/json; indent=4")
    assert fast == drf and b"\n    " in fast
    fast, drf = both(data, "text/html", {"indent": 4})
    assert fast == drf


def test_nothing_renders_as_nothing():
    assert both(None) == (b"", b"")


@pytest.mark.django_db
def test_the_failure_mode_list_answers_drfs_bytes(api, alice, team_a):
    """A list page with awkward text: the body is what DRF's renderer writes of it."""
    FailureModeFactory(step__application__team=team_a, mode="Line\u2028break é")
    FailureModeFactory(step__application__team=team_a, effect='Tab\t"quote" \\ 😀')
    response = api.as_user(alice).get("/api/v1/failure-modes/?ordering=-rpn")
    assert response.status_code == 200
    assert isinstance(response.accepted_renderer, JSONRenderer)
    assert response["Content-Type"] == "application/json"
    assert len(response.json()["results"]) == 2
    assert response.content == DRF.render(response.data, "application/json")
