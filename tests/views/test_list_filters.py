"""The browser lists filter with the API's FilterSets: same parameters, same rows; the
browser only changes how the filters show."""

import pytest
from rest_framework.test import APIClient

from registry.filtersets import FailureModeFilterSet
from registry.models import FailureMode
from registry.views.filtersets import FailureModeListFilterSet
from tests.factories import FailureModeFactory

pytestmark = pytest.mark.django_db
API_URL = "/api/v1/failure-modes/"


def test_a_heat_map_cell_selects_the_same_rows_in_the_api_and_the_list(alice, as_alice, register):
    """The heat map links to `?severity=&probability=`; the API filters by them too."""
    api = APIClient()
    api.force_authenticate(alice)
    FailureModeFactory(step=register.step, mode="Hot shard", severity=8, probability=5)
    FailureModeFactory(step=register.step, mode="Cold shard", severity=8, probability=4)
    body = api.get(API_URL, {"severity": 8, "probability": 5}).json()
    assert [row["mode"] for row in body["results"]] == ["Hot shard"]
    html = as_alice.get("/failure-modes/", {"severity": 8, "probability": 5}).content.decode()
    assert "Hot shard" in html and "Cold shard" not in html
    assert api.get(API_URL, {"severity": "high"}).status_code == 400


def test_the_browser_form_leaves_the_api_filters_as_they_were(register):
    """Labels and widgets are set on the browser form's own fields: a FilterSet built
    afterwards (the API's) still has its number inputs and help texts."""
    browser = FailureModeListFilterSet({}, queryset=FailureMode.objects.all(), team_id=1)
    assert browser.form.fields["tier"].label == "Tier"
    assert "All tiers" in str(browser.form["tier"])
    assert "team" not in browser.form.fields
    api_form = FailureModeFilterSet({}, queryset=FailureMode.objects.all()).form
    assert api_form.fields["tier"].label != "Tier"
    assert "<select" not in str(api_form["tier"])
    assert 'type="hidden"' not in str(api_form["step"])
    assert "team" in api_form.fields


def test_the_list_shows_each_filter_with_its_label_and_choices(as_alice, register):
    html = as_alice.get("/failure-modes/", {"tier": "1", "status": ["open"]}).content.decode()
    assert '<label for="id_tier">Tier</label>' in html
    assert '<option value="1" selected>Tier 1 - mission critical</option>' in html
    assert '<option value="" selected>All categories</option>' in html
    assert f'<option value="{register.app.pk}">Order processing</option>' in html
    assert "Secret B app" not in html
    assert 'type="checkbox" name="status" value="open"' in html
    assert '<input type="hidden" name="step" id="id_step">' in html
