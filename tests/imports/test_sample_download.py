"""The sample worksheet offered on the import page imports into the demo team as it is
(the shipped sample's rows are the demo's own and are refused there as duplicates)."""

import pytest
from django.test import Client

from registry.imports.service import import_worksheet
from registry.models import Application, FailureMode
from registry.services.demo import seed_demo

pytestmark = pytest.mark.django_db


def test_the_import_page_offers_the_sample_and_it_downloads_as_csv(reference, bob, team_a):
    client = Client()
    client.force_login(bob)
    page = client.get("/imports/").content.decode()
    assert 'href="/imports/sample.csv" download' in page
    response = client.get("/imports/sample.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="sample-worksheet.csv"' in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("business_function,application,tier,step,component")
    assert body.count("\n") == 6  # the header and five rows


def test_the_sample_imports_into_the_demo_team(reference, client):
    team = seed_demo()
    demo_user = team.memberships.get().user
    client.force_login(demo_user)
    data = b"".join(client.get("/imports/sample.csv").streaming_content)
    before = FailureMode.objects.filter(team=team).count()
    result = import_worksheet(team=team, user=demo_user, data=data)
    assert result.ok, result.problems
    app = Application.objects.get(team=team, name="Customer accounts")
    assert app.tier.level == 2
    assert sorted(app.steps.values_list("name", flat=True)) == [
        "Sign in",
        "Sign up",
        "Update profile",
    ]
    assert FailureMode.objects.filter(team=team).count() == before + 5
