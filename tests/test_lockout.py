"""The sign-in lockout: five failed sign-ins of one user name from one client lock that
pair out, whatever the spelling of the name, behind a proxy, and whichever door (the
browser's sign-in page or the API's token endpoint) the attempts use."""

import pytest
from django.conf import settings as django_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
LOGIN_URL = "/accounts/login/"
TOKEN_URL = "/api/v1/auth/token/"
PASSWORD = "correct horse battery"
FULLWIDTH = "\uff4c\uff4f\uff43\uff4b\uff4d\uff45"  # "lockme" in fullwidth letters


@pytest.fixture
def lockme(db):
    return UserFactory(username="lockme", password=PASSWORD)


@pytest.fixture
def proxies(settings):
    """NUM_PROXIES for one test, as the throttles read it."""

    def set_proxies(count: int) -> None:
        settings.REST_FRAMEWORK = {**django_settings.REST_FRAMEWORK, "NUM_PROXIES": count}

    return set_proxies


def fail_five_times(client, username: str = "lockme", **extra) -> None:
    for _ in range(5):
        response = client.post(LOGIN_URL, {"username": username, "password": "wrong"}, **extra)
        assert response.status_code == 200  # the form again, with its error


def sign_in(client, username: str, **extra):
    return client.post(LOGIN_URL, {"username": username, "password": PASSWORD}, **extra)


@pytest.mark.parametrize("spelling", [" lockme", "lockme ", FULLWIDTH])
def test_another_spelling_of_a_locked_name_is_locked_too(client, lockme, spelling):
    """Authentication strips and NFKC-normalises the name, so the lockout does too: the
    right password under another spelling of a locked name does not sign in."""
    fail_five_times(client)
    response = sign_in(client, spelling)
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 900
    assert "_auth_user_id" not in client.session


def test_failures_under_several_spellings_share_one_count(client, lockme):
    """Two plain, two padded and one fullwidth failure are five failures of one name."""
    for spelling in ("lockme", "lockme", " lockme", "lockme ", FULLWIDTH):
        client.post(LOGIN_URL, {"username": spelling, "password": "wrong"})
    assert sign_in(client, "lockme").status_code == 429


def test_the_lockout_counts_fewer_than_five_failures_as_nothing(client, lockme):
    for _ in range(4):
        client.post(LOGIN_URL, {"username": " lockme", "password": "wrong"})
    assert sign_in(client, "lockme").status_code == 302


def test_behind_a_proxy_one_client_locked_out_leaves_the_others_in(client, lockme, proxies):
    """With NUM_PROXIES=1 every request comes from the proxy's address: the lockout keys
    on the client the proxy names in X-Forwarded-For, as the API's throttles do."""
    proxies(1)
    attacker = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.66"}
    owner = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    fail_five_times(client, **attacker)
    assert sign_in(client, "lockme", **attacker).status_code == 429
    assert sign_in(client, "lockme", **owner).status_code == 302


def test_without_proxies_a_forged_forwarded_for_does_not_dodge_the_lockout(client, lockme):
    for n in range(5):
        client.post(
            LOGIN_URL,
            {"username": "lockme", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    assert sign_in(client, "lockme", HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429


def test_a_name_locked_in_the_browser_gets_no_api_token(client, lockme):
    """One lockout for both doors: the token endpoint answers 429 with Retry-After."""
    fail_five_times(client)
    response = APIClient().post(TOKEN_URL, {"username": "lockme", "password": PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 900
    assert not Token.objects.exists()


def test_failures_at_the_token_endpoint_lock_the_browser_sign_in(client, lockme):
    api = APIClient()
    for spelling in ("lockme", " lockme", "lockme", "lockme ", "lockme"):
        response = api.post(TOKEN_URL, {"username": spelling, "password": "wrong"})
        assert response.status_code == 400
    assert api.post(TOKEN_URL, {"username": "lockme", "password": PASSWORD}).status_code == 429
    assert sign_in(client, "lockme").status_code == 429


def test_another_name_from_the_same_client_is_not_locked(client, lockme):
    UserFactory(username="other", password=PASSWORD)
    fail_five_times(client)
    assert sign_in(client, "other").status_code == 302
