"""Single sign-on with OpenID Connect (mozilla-django-oidc), configured by the issuer.

The provider's endpoints come from its discovery document
(`<OIDC_ISSUER>/.well-known/openid-configuration`), read once per process. Users are
matched by the username claim and created on first sign-in; at every sign-in the groups
claim is applied to their team memberships (`registry.services.sign_on`).
"""

from __future__ import annotations

import functools

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import Http404
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from registry.services.sign_on import apply_group_mappings

#: mozilla-django-oidc's endpoint settings, and where discovery names them.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


@functools.cache
def discovery(issuer: str) -> dict:
    response = requests.get(
        f"{issuer.rstrip('/')}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT
    )
    response.raise_for_status()
    return response.json()


def oidc_setting(attr: str, *default):
    """A setting of mozilla-django-oidc; endpoints from discovery unless set."""
    if attr in DISCOVERED and not getattr(settings, attr, None):
        return discovery(settings.OIDC_ISSUER)[DISCOVERED[attr]]
    return import_from_settings(attr, *default)


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


class SignOnBackend(OIDCAuthenticationBackend):
    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        # Without an issuer there is nothing to discover: the backend only finds users.
        if enabled():
            super().__init__(*args, **kwargs)
        else:
            self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        return super().authenticate(request, **kwargs) if enabled() else None

    def username_of(self, claims: dict) -> str:
        return str(claims.get(settings.OIDC_USERNAME_CLAIM) or claims.get("sub") or "")[:150]

    def verify_claims(self, claims: dict) -> bool:
        return bool(self.username_of(claims))

    def filter_users_by_claims(self, claims: dict):
        return self.UserModel.objects.filter(username=self.username_of(claims))

    def get_userinfo(self, access_token, id_token, payload):
        # Groups may come in the ID token, the userinfo answer, or both.
        return {**payload, **super().get_userinfo(access_token, id_token, payload)}

    def create_user(self, claims: dict):
        user = self.UserModel(username=self.username_of(claims))
        user.set_unusable_password()
        return self.update_user(user, claims)

    def update_user(self, user, claims: dict):
        user.email = claims.get("email", user.email) or ""
        user.first_name = (claims.get("given_name") or user.first_name)[:150]
        user.last_name = (claims.get("family_name") or user.last_name)[:150]
        user.save()
        groups = claims.get(settings.OIDC_GROUPS_CLAIM) or []
        apply_group_mappings(user, groups if isinstance(groups, list) else [groups])
        return user


class NoPasswordBackend(ModelBackend):
    """Permissions as usual, but no password sign-in (LOCAL_LOGIN_ENABLED=0)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        return None


class SignOnRequestView(OIDCAuthenticationRequestView):
    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        if not enabled():
            raise Http404("Single sign-on is not configured.")
        super().__init__(*args, **kwargs)


class SignOnCallbackView(OIDCAuthenticationCallbackView):
    get_settings = staticmethod(oidc_setting)

    def dispatch(self, request, *args, **kwargs):
        if not enabled():
            raise Http404("Single sign-on is not configured.")
        return super().dispatch(request, *args, **kwargs)


def sign_in_options(request) -> dict:
    """For the sign-in page: which ways in it offers."""
    return {
        "sign_on_enabled": enabled(),
        "sign_on_provider": settings.OIDC_PROVIDER_NAME,
        "local_login_enabled": settings.LOCAL_LOGIN_ENABLED,
    }
