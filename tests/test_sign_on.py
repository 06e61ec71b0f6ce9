"""Single sign-on against a real OpenID Connect provider: django-oauth-toolkit
(tests/oidc_provider) run on loopback in its own process. Signing in lands the user in
the team their group maps to, with its role, and a later sign-in without the group
takes the membership away."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.test import Client

from fmea import oidc
from registry.choices import Role
from registry.models import GroupMapping, Membership
from tests.factories import MembershipFactory, UserFactory
from tests.workers import free_port

ROOT = Path(__file__).resolve().parents[1]
CLIENT = {"id": "fmea-register", "secret": "client-secret-for-tests-0123456789"}
CALLBACK = "http://testserver/oidc/callback/"
PASSWORD = "provider-password-1"


class Provider:
    def __init__(self, tmp: Path) -> None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}/o"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
            "OIDC_PROVIDER_DB": str(tmp / "provider.sqlite3"),
            "OIDC_PROVIDER_KEY": pem,
            "PYTHONPATH": str(ROOT),
        }
        self.django("migrate", "--noinput", "-v", "0")
        self.seed(client={**CLIENT, "redirect_uri": CALLBACK})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                discovery = f"{self.issuer}/.well-known/openid-configuration"
                if requests.get(discovery, timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("The OpenID provider did not start within 30 s.")

    def django(self, *args: str) -> None:
        subprocess.run([sys.executable, "-m", "django", *args], env=self.env, cwd=ROOT, check=True)

    def seed(self, **spec) -> None:
        code = (ROOT / "tests/oidc_provider/seed.py").read_text()
        env = {**self.env, "OIDC_PROVIDER_SEED": json.dumps(spec)}
        subprocess.run(
            [sys.executable, "-m", "django", "shell", "-c", code], env=env, cwd=ROOT, check=True
        )

    def person(self, username: str, groups: list[str]) -> None:
        self.seed(
            users=[
                {
                    "username": username,
                    "email": f"{username}@example.com",
                    "password": PASSWORD,
                    "groups": groups,
                }
            ]
        )

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    running = Provider(tmp_path_factory.mktemp("oidc-provider"))
    yield running
    running.stop()


@pytest.fixture
def sign_on(settings, provider):
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT["id"]
    settings.OIDC_RP_CLIENT_SECRET = CLIENT["secret"]
    settings.OIDC_PROVIDER_NAME = "Example ID"
    oidc.discovery.cache_clear()
    yield provider
    oidc.discovery.cache_clear()


def sign_in(client: Client, provider: Provider, username: str):
    """The browser's round trip: the register sends it to the provider, the user signs
    in there, the provider sends it back with a code the register exchanges."""
    start = client.get("/oidc/authenticate/?next=/")
    assert start.status_code == 302
    authorize = start["Location"]
    assert authorize.startswith(provider.issuer + "/authorize/")
    browser = requests.Session()
    browser.trust_env = False
    login_url = f"http://127.0.0.1:{provider.port}/accounts/login/"
    page = browser.get(login_url, timeout=10).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    signed = browser.post(
        login_url,
        data={
            "csrfmiddlewaretoken": token,
            "username": username,
            "password": PASSWORD,
            "next": authorize.removeprefix(f"http://127.0.0.1:{provider.port}"),
        },
        headers={"Referer": login_url},
        allow_redirects=False,
        timeout=10,
    )
    assert signed.status_code == 302, signed.text[:300]
    back = browser.get(authorize, allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text[:300]
    callback = urlsplit(back.headers["Location"])
    assert f"{callback.scheme}://{callback.netloc}{callback.path}" == CALLBACK
    return client.get(f"{callback.path}?{callback.query}")


def test_it_signs_in_through_the_provider_into_the_mapped_team_and_role(
    sign_on, team_a, team_b, alice
):
    GroupMapping.objects.create(group="sre-payments", team=team_a, role=Role.EDITOR)
    GroupMapping.objects.create(group="auditors", team=team_b, role=Role.VIEWER)
    sign_on.person("dana", ["sre-payments", "unmapped-group"])
    client = Client()

    landed = sign_in(client, sign_on, "dana")
    assert landed.status_code == 302 and landed["Location"] == "/"
    dana = get_user_model().objects.get(username="dana")
    assert dana.email == "dana@example.com"
    assert not dana.has_usable_password()
    assert list(Membership.objects.filter(user=dana).values_list("team__slug", "role")) == [
        ("team-a", "editor")
    ]
    assert client.get("/").status_code == 200  # signed in to the register

    # The provider drops the group: the next sign-in drops the membership.
    sign_on.person("dana", ["auditors"])
    client.post("/accounts/logout/")
    assert sign_in(client, sign_on, "dana").status_code == 302
    assert list(Membership.objects.filter(user=dana).values_list("team__slug", "role")) == [
        ("team-b", "viewer")
    ]


def test_an_owners_invitation_is_not_taken_away_by_sign_on(sign_on, team_a, alice):
    """Only memberships the mapping granted follow the claim."""
    erin = UserFactory(username="erin")
    MembershipFactory(team=team_a, user=erin, role=Role.EDITOR)
    sign_on.person("erin", [])
    assert sign_in(Client(), sign_on, "erin").status_code == 302
    assert Membership.objects.filter(user=erin, team=team_a, role="editor").exists()


def test_the_sign_in_page_offers_the_provider(sign_on, client):
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Example ID" in page
    assert 'name="password"' in page


def test_local_passwords_can_be_switched_off(sign_on, settings, client, alice):
    settings.LOCAL_LOGIN_ENABLED = False
    settings.AUTHENTICATION_BACKENDS = ["fmea.oidc.SignOnBackend", "fmea.oidc.NoPasswordBackend"]
    alice.set_password("alice-password-1")
    alice.save()
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Example ID" in page and 'name="password"' not in page
    refused = client.post(
        "/accounts/login/", {"username": "alice", "password": "alice-password-1"}
    )
    assert refused.status_code == 200  # the page again, not signed in
    assert "_auth_user_id" not in client.session
