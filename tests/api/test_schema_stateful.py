"""The API along the links its schema publishes: a create, then reads, changes, actions
and deletes of the object by the id the create answered, never get a server error and
always answer as the schema says."""

import pytest
import schemathesis
from django.db import transaction
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from fmea.wsgi import application
from registry.models import (
    Application,
    BusinessFunction,
    Component,
    FailureMode,
    Step,
)

SCHEMA_URL = "/api/v1/schema/?format=json"
# Only the links the schema publishes, not ones schemathesis would guess; and requests
# the schema allows (test_schema.py sends invalid ones too), so that creates succeed and
# the scenarios go on along the links.
CONFIG = SchemathesisConfig.from_dict(
    {"phases": {"stateful": {"inference": {"algorithms": []}, "generation": {"mode": "positive"}}}}
)
schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, application, config=CONFIG)

#: Body fields that name another object, and where to find the demo team's ones.
RELATED = {
    "business_function": BusinessFunction,
    "application": Application,
    "step": Step,
    "component": Component,
    "dependant_component": Component,
    "failure_mode": FailureMode,
}
#: Ids of the demo team's objects, filled in by the `demo_token` fixture.
KNOWN: dict[str, list[int]] = {}
REVISED = ("revised_severity", "revised_probability", "revised_detectability")


def plausible(payload: dict) -> None:
    """Most generated ids become the demo team's (every fourth stays as generated, mostly
    unknown), and a partial set of revised ratings is completed, so that creates succeed
    and the links have something to follow. (test_schema.py sends the rest as generated.)"""
    for name, ids in KNOWN.items():
        value = payload.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value % 4 != 3 and ids:
            payload[name] = ids[value % len(ids)]
    given = next((payload[name] for name in REVISED if payload.get(name) is not None), None)
    if given is not None:
        for name in REVISED:
            if payload.get(name) is None:
                payload[name] = given


@schema.hook("map_body")
def plausible_bodies(context, body):
    """Each generated body (or each item of a bulk create) made plausible."""
    if KNOWN:
        for payload in body if isinstance(body, list) else [body]:
            if isinstance(payload, dict):
                plausible(payload)
    return body


@pytest.fixture
def demo_token(demo_owner):
    """A token of the demo team's owner; KNOWN holds the ids of the team's objects."""
    team, owner = demo_owner
    for name, model in RELATED.items():
        KNOWN[name] = sorted(model.objects.for_team(team.pk).values_list("pk", flat=True))
    KNOWN["team"] = [team.pk]
    yield Token.objects.get_or_create(user=owner)[0].key
    KNOWN.clear()


def run_along_links(api, token: str, max_examples: int) -> set[str]:
    """Run `api`'s state machine; answer the paths of the operations on created objects
    that succeeded."""
    answered: list[tuple[str, int]] = []

    class Workflow(api.as_state_machine()):
        def setup(self) -> None:
            # Each scenario starts from the demo register: its writes are rolled back.
            self.savepoint = transaction.atomic()
            self.savepoint.__enter__()

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self.savepoint.__exit__(None, None, None)

        def after_call(self, response, case) -> None:
            super().after_call(response, case)
            answered.append((case.operation.path, response.status_code))

        def get_call_kwargs(self, case) -> dict:
            return {"headers": {"Authorization": f"Token {token}"}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # The checks must know which credentials were sent (e.g. to tell that a
            # request without them is refused). Rules the schema cannot say (all three
            # revised ratings or none, a step's objectives within its tier's) rightly
            # refuse some schema-valid requests, so that check does not apply.
            case.validate_response(
                response,
                additional_checks=additional_checks,
                excluded_checks=[positive_data_acceptance],
                headers=kwargs.get("headers"),
                transport_kwargs=kwargs,
                recorder=self.recorder,
            )

    Workflow.run(
        settings=settings(
            max_examples=max_examples,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
    return {path for path, status in answered if "{" in path and status < 300}


def test_the_api_keeps_to_its_schema_along_its_links(demo_token):
    """Short scenarios over the whole API (a create, then operations on what it made)
    get no server error, and every response matches the schema."""
    followed = run_along_links(schema, demo_token, max_examples=60)
    assert followed, "no scenario got past a create"


def test_failure_modes_and_actions_along_their_links(demo_token):
    """The same for failure modes and their actions alone, so that their scenarios go
    further: a created failure mode is read, changed, signed off and deleted by its id."""
    api = schema.include(path_regex=r"^/api/v1/(failure-modes|actions)/")
    followed = run_along_links(api, demo_token, max_examples=30)
    assert "/api/v1/failure-modes/{id}/" in followed, followed


def test_each_create_links_to_the_operations_on_what_it_made(client):
    """The schema says how a create's answer leads on: its id is the path parameter of
    the object's read, change, delete and actions."""
    document = client.get(SCHEMA_URL).json()
    operation_ids = {
        operation["operationId"]
        for operations in document["paths"].values()
        for operation in operations.values()
    }
    create = document["paths"]["/api/v1/failure-modes/"]["post"]["responses"]["201"]
    assert set(create["links"]) == {
        "failure_modes_retrieve",
        "failure_modes_update",
        "failure_modes_partial_update",
        "failure_modes_destroy",
        "failure_modes_sign_off_create",
        "failure_modes_evidence_retrieve",
        "failure_modes_adopt_evidence_create",
    }
    for link in create["links"].values():
        assert link["parameters"] == {"id": "$response.body#/id"}
    for path, operations in document["paths"].items():
        for operation in operations.values():
            for response in operation["responses"].values():
                for link in response.get("links", {}).values():
                    assert link["operationId"] in operation_ids, path


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/reports/", {"format": "pdf", "applications": [2**63]}),
        (
            "/api/v1/report-schedules/",
            {"name": "x", "format": "pdf", "crontab": "0 7 * * 1", "recipients": "a@b.org"}
            | {"applications": [2**63]},
        ),
        (
            "/api/v1/report-schedules/",
            {"name": "x", "format": "pdf", "crontab": "1,,2 * * * *", "recipients": "a@b.org"},
        ),
    ],
)
def test_what_the_scenarios_found_is_refused(demo_token, url, body):
    """An application id past 64 bits (SQLite cannot compare it) and a crontab only
    Celery's parser refuses are 400s with the field's message, not 500s."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {demo_token}")
    response = api.post(url, {"team": KNOWN["team"][0], **body}, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"applications" if "applications" in body else "crontab"}
