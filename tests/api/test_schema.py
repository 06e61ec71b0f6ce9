"""The OpenAPI schema is complete and the API keeps to it under generated requests."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import positive_data_acceptance

from fmea.wsgi import application

SCHEMA_URL = "/api/v1/schema/?format=json"
schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, application)


@pytest.fixture
def demo_token(demo_owner):
    """A token of the demo team's owner."""
    _, owner = demo_owner
    return Token.objects.get_or_create(user=owner)[0].key


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_keeps_to_its_schema(case, demo_token):
    """No generated request gets a 500, and every response matches the schema."""
    # A well-formed id of a row that does not exist is rightly refused, so the check that
    # every schema-valid request is accepted does not apply to this API.
    case.call_and_validate(
        headers={"Authorization": f"Token {demo_token}"},
        excluded_checks=[positive_data_acceptance],
    )


def test_every_field_and_parameter_is_described(client):
    """Integrators read the schema: every property and parameter says what it is."""
    document = client.get(SCHEMA_URL).json()
    missing = []
    for name, component in document["components"]["schemas"].items():
        for field, spec in component.get("properties", {}).items():
            if "description" not in spec and "$ref" not in spec and "allOf" not in spec:
                missing.append(f"{name}.{field}")
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if not parameter.get("description"):
                    missing.append(f"{method.upper()} {path} ?{parameter['name']}")
    assert missing == []


def test_every_resource_describes_itself(client):
    """Each resource's schema says what the resource is, not how its serializer works:
    no two resources share a description."""
    schemas = client.get(SCHEMA_URL).json()["components"]["schemas"]
    resources = ["BusinessFunction", "Application", "Step", "Component", "Dependency"]
    descriptions = [schemas[name].get("description", "") for name in resources]
    assert all(descriptions) and len(set(descriptions)) == len(resources)
    assert not any("non_field_errors" in text for text in descriptions)


def test_docs_are_served_without_a_cdn(client):
    """Swagger UI and ReDoc load their assets from this site."""
    for url in ("/api/v1/docs/", "/api/v1/redoc/"):
        page = client.get(url).content.decode()
        assert "drf_spectacular_sidecar" in page
        assert "cdn." not in page and "unpkg" not in page
