"""Security headers and the sign-in lockout."""

import hashlib
import logging
import unicodedata
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from redis.exceptions import RedisError
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

# Only the app's own static files; inline styles are allowed for htmx's indicators and
# server-drawn SVG. The API docs (Swagger UI, ReDoc) start with an inline script.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
DOCS_CSP = (
    CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
    .replace("img-src 'self' data:", "img-src 'self' data: blob:")
    .replace("default-src 'self'", "default-src 'self'; worker-src 'self' blob:")
)
DOCS_PATHS = ("/api/v1/docs/", "/api/v1/redoc/")


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = DOCS_CSP if request.path.startswith(DOCS_PATHS) else CSP
        response.setdefault("Content-Security-Policy", policy)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


# What a shared cache raises when it cannot be reached (connection refused, timeout).
CACHE_ERRORS = (RedisError, OSError)


def client_address(request: HttpRequest) -> str:
    """The client's address as the API's throttles see it: REMOTE_ADDR, or behind
    NUM_PROXIES proxies the address they name in X-Forwarded-For. Sign-in lockouts key
    on it too, so a proxy's own address never locks out everyone behind it."""
    return BaseThrottle().get_ident(request)


def login_name(username: object) -> str:
    """The user name as sign-in reads it: NFKC-normalised and stripped, as the sign-in
    form's field cleans it; case kept, as ModelBackend's lookup keeps it."""
    return unicodedata.normalize("NFKC", str(username or "")).strip()


def _key(request: HttpRequest, username: object) -> str:
    # Hashed: a user name may hold any character, and the cache key stays short.
    pair = f"{client_address(request)}\0{login_name(username)[:150]}"
    return f"login-failures:{hashlib.sha256(pair.encode()).hexdigest()}"


def cache_unreachable(what: str, exc: Exception) -> None:
    """The cache is down: the caller goes on without it (fails open) and says so."""
    logger.warning("Cache unreachable (%s): %s not enforced", type(exc).__name__, what)


@receiver(user_login_failed)
def count_failed_login(sender, credentials: dict, request: HttpRequest | None = None, **kw):
    if request is None:
        return
    key = _key(request, credentials.get("username"))
    try:
        cache.add(key, 0, settings.LOGIN_FAILURE_WINDOW_SECONDS)
        cache.incr(key)
    except ValueError:
        pass  # the window ended between the two calls: this failure starts no new one
    except CACHE_ERRORS as exc:
        cache_unreachable("sign-in lockout", exc)


def login_locked_out(request: HttpRequest, username: object) -> int:
    """Seconds to wait when this user name from this client has failed to sign in
    LOGIN_FAILURE_LIMIT times within the window, else 0. One rule for the browser's
    sign-in page and the API's token endpoint."""
    try:
        failures = cache.get(_key(request, username)) or 0
    except CACHE_ERRORS as exc:
        cache_unreachable("sign-in lockout", exc)
        return 0
    return settings.LOGIN_FAILURE_WINDOW_SECONDS if failures >= settings.LOGIN_FAILURE_LIMIT else 0
