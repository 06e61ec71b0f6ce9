"""API tokens and rate limits: the token endpoint, `Authorization: Token <key>`,
`manage.py drf_create_token`, and 429 with Retry-After when a limit is reached."""

import io

import pytest
import yaml
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from registry.api.authentication import TokenAuthentication
from registry.db.counts import team_revisions
from registry.models import Membership
from tests.factories import FailureModeFactory, MembershipFactory
from tests.test_deploy import clean_env, run

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/token/"
TEAMS = "/api/v1/teams/"
BAD_CREDENTIALS = {"non_field_errors": ["Unable to log in with provided credentials."]}


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rates(settings):
    """Set rate limits for one test: rates(auth="3/minute")."""

    def set_rates(**scopes: str) -> None:
        rest = dict(django_settings.REST_FRAMEWORK)
        rest["DEFAULT_THROTTLE_RATES"] = {**rest["DEFAULT_THROTTLE_RATES"], **scopes}
        settings.REST_FRAMEWORK = rest

    return set_rates


def token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# --- Getting and using a token ---------------------------------------------------------


def test_a_username_and_password_give_a_token_that_works_on_the_api(api, alice):
    response = api.post(TOKEN_URL, {"username": "alice", "password": "password"})
    assert response.status_code == 200, response.data
    key = response.json()["token"]
    assert response.json() == {"token": Token.objects.get(user=alice).key}

    teams = token_client(key).get(TEAMS)
    assert teams.status_code == 200
    assert [team["slug"] for team in teams.json()["results"]] == ["team-a"]


def test_asking_again_gives_the_same_token(api, alice):
    first = api.post(TOKEN_URL, {"username": "alice", "password": "password"}).json()
    second = api.post(TOKEN_URL, {"username": "alice", "password": "password"}).json()
    assert first == second
    assert Token.objects.filter(user=alice).count() == 1


def test_a_wrong_password_and_an_unknown_user_get_the_same_400(api, alice):
    wrong = api.post(TOKEN_URL, {"username": "alice", "password": "guess"})
    unknown = api.post(TOKEN_URL, {"username": "mallory", "password": "guess"})
    assert (wrong.status_code, unknown.status_code) == (400, 400)
    assert wrong.json() == unknown.json() == BAD_CREDENTIALS
    assert not Token.objects.exists()


def test_an_inactive_user_gets_no_token(api, alice):
    alice.is_active = False
    alice.save()
    response = api.post(TOKEN_URL, {"username": "alice", "password": "password"})
    assert (response.status_code, response.json()) == (400, BAD_CREDENTIALS)


def test_missing_fields_are_named(api):
    response = api.post(TOKEN_URL, {"username": "alice"})
    assert response.status_code == 400
    assert response.json() == {"password": ["This field is required."]}


def test_the_token_endpoint_takes_json_only(api, alice):
    response = api.post(
        TOKEN_URL, {"username": "alice", "password": "password"}, format="multipart"
    )
    assert response.status_code == 415
    assert api.get(TOKEN_URL).status_code == 405


def test_a_wrong_or_missing_token_gets_401(alice):
    assert token_client("0" * 40).get(TEAMS).status_code == 401
    assert APIClient().get(TEAMS).status_code == 401
    response = APIClient().get(TEAMS)
    assert response["WWW-Authenticate"] == "Token"


def test_a_token_made_with_drf_create_token_works_on_the_api(alice):
    out = io.StringIO()
    call_command("drf_create_token", "alice", stdout=out)
    key = Token.objects.get(user=alice).key
    assert key in out.getvalue()
    response = token_client(key).get(TEAMS)
    assert response.status_code == 200
    assert response.json()["results"][0]["role"] == "owner"


def test_the_token_endpoint_is_in_the_openapi_schema(api, alice):
    response = api.as_user(alice).get("/api/v1/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    operation = schema["paths"]["/api/v1/auth/token/"]["post"]
    request_body = operation["requestBody"]["content"]
    assert list(request_body) == ["application/json"]
    assert request_body["application/json"]["schema"]["$ref"].endswith("/TokenCredentialsRequest")
    assert {"200", "400", "429"} <= set(operation["responses"])
    assert "security" not in operation or operation["security"] in ([], [{}])
    components = schema["components"]["schemas"]
    assert set(components["TokenCredentialsRequest"]["properties"]) == {"username", "password"}
    assert set(components["TokenResponse"]["properties"]) == {"token"}


# --- Rate limits -----------------------------------------------------------------------


def test_the_eleventh_token_request_in_a_minute_gets_429_with_retry_after(api, alice, rates):
    rates(auth="10/minute")
    # Ten user names: five failures of one would lock it out (tests/test_lockout.py).
    for n in range(10):
        assert (
            api.post(TOKEN_URL, {"username": f"user{n}", "password": "guess"}).status_code == 400
        )
    response = api.post(TOKEN_URL, {"username": "alice", "password": "password"})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert not Token.objects.exists()


def test_the_token_limit_is_per_client_address(api, alice, rates):
    rates(auth="2/minute")
    credentials = {"username": "alice", "password": "password"}
    for _ in range(2):
        assert api.post(TOKEN_URL, credentials, REMOTE_ADDR="192.0.2.1").status_code == 200
    assert api.post(TOKEN_URL, credentials, REMOTE_ADDR="192.0.2.1").status_code == 429
    assert api.post(TOKEN_URL, credentials, REMOTE_ADDR="192.0.2.2").status_code == 200


def test_a_forged_x_forwarded_for_does_not_dodge_the_limit(api, alice, rates):
    rates(auth="2/minute")
    credentials = {"username": "alice", "password": "guess"}
    statuses = [
        api.post(TOKEN_URL, credentials, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(4)
    ]
    assert statuses == [400, 400, 429, 429]


def test_authenticated_callers_are_limited_per_user(alice, bob, rates):
    rates(user="3/minute")
    alice_key = Token.objects.create(user=alice).key
    bob_key = Token.objects.create(user=bob).key
    statuses = [token_client(alice_key).get(TEAMS).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    throttled = token_client(alice_key).get(TEAMS)
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert token_client(bob_key).get(TEAMS).status_code == 200


def test_anonymous_callers_are_limited_per_address(api, rates):
    rates(anon="2/minute")
    statuses = [api.get("/api/v1/schema/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert api.get("/api/v1/schema/", REMOTE_ADDR="192.0.2.9").status_code == 200


def test_default_rates(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {
        "user": "5000/hour",
        "anon": "1000/hour",
        "auth": "10/minute",
    }


# --- Settings: rates and the shared cache from the environment ------------------------

PRINT_SETTINGS = (
    "from django.conf import settings; "
    "print(settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']); "
    "print(settings.REST_FRAMEWORK['NUM_PROXIES']); "
    "print(settings.CACHES['default']['BACKEND']); "
    "print(settings.CACHES['default'].get('LOCATION', ''))"
)


def test_rates_proxies_and_a_redis_cache_come_from_the_environment(tmp_path):
    env = clean_env(
        tmp_path,
        DEBUG="1",
        THROTTLE_USER_RATE="100/minute",
        THROTTLE_ANON_RATE="10/hour",
        THROTTLE_AUTH_RATE="5/minute",
        NUM_PROXIES="1",
        CACHE_URL="redis://redis:6379/1",
    )
    result = run(["-c", PRINT_SETTINGS], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "{'user': '100/minute', 'anon': '10/hour', 'auth': '5/minute'}",
        "1",
        "django.core.cache.backends.redis.RedisCache",
        "redis://redis:6379/1",
    ]


def test_without_cache_url_the_cache_is_per_process(tmp_path):
    result = run(["-c", PRINT_SETTINGS], clean_env(tmp_path, DEBUG="1"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:3] == [
        "0",
        "django.core.cache.backends.locmem.LocMemCache",
    ]


def test_an_unknown_cache_url_is_refused(tmp_path):
    env = clean_env(tmp_path, DEBUG="1", CACHE_URL="memcached://cache:11211")
    result = run(["-c", PRINT_SETTINGS], env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "CACHE_URL must be a Redis URL" in result.stderr


def test_a_token_reads_its_user_and_teams_in_one_query(alice, team_a, team_b):
    """The token, its user and the user's teams and their revisions come in one
    query: a list page's count reads them from there, not again."""
    MembershipFactory(team=team_b, user=alice, role="viewer")
    key = Token.objects.create(user=alice).key
    with CaptureQueriesContext(connection) as captured:
        user, token = TokenAuthentication().authenticate_credentials(key)
    assert len(captured.captured_queries) == 1
    assert (user, token.key, token.user) == (alice, key, alice)
    assert user.get_all_permissions() == set() and user.is_authenticated
    with CaptureQueriesContext(connection) as captured:
        assert team_revisions(user) == team_revisions(alice)
    assert len(captured.captured_queries) == 1  # the reading of `alice`'s, by their query
    assert [team for team, _ in team_revisions(user)] == sorted([team_a.pk, team_b.pk])


def test_a_token_of_a_user_without_teams_or_inactive(alice):
    key = Token.objects.create(user=alice).key
    Membership.objects.filter(user=alice).delete()
    user, _ = TokenAuthentication().authenticate_credentials(key)
    assert user.known_team_revisions == ()
    alice.is_active = False
    alice.save()
    response = APIClient().get("/api/v1/failure-modes/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401
    assert response.json() == {"detail": "User inactive or deleted."}


def test_a_token_list_page_reads_teams_once(postgres, alice, team_a):
    """With its count cached, a token's list page runs two queries: the token with its
    user and teams, and the page's rows."""
    FailureModeFactory(step__application__team=team_a)
    client = token_client(Token.objects.create(user=alice).key)
    assert client.get("/api/v1/failure-modes/?page_size=5").status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/failure-modes/?page_size=5")
    assert response.status_code == 200 and response.json()["count"] == 1
    assert len(captured.captured_queries) == 2


def test_a_token_sees_the_teams_read_with_it(alice, team_a, team_b):
    """A token's caller is scoped by the team ids read with the token, as literals:
    the rows of those teams and no others, and none at all without a team."""
    mine = FailureModeFactory(step__application__team=team_a)
    FailureModeFactory(step__application__team=team_b)
    client = token_client(Token.objects.create(user=alice).key)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/failure-modes/")
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]
    page_query = captured.captured_queries[-1]["sql"]
    assert "registry_membership" not in page_query  # the teams were known already
    Membership.objects.filter(user=alice).delete()
    assert client.get("/api/v1/failure-modes/").json()["count"] == 0
    assert client.get(f"/api/v1/failure-modes/{mine.pk}/").status_code == 404
