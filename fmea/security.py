"""Security headers and login throttling."""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

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


def _client(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "-")


def _key(address: str, username: str) -> str:
    return f"login-failures:{address}:{username.lower()[:150]}"


@receiver(user_login_failed)
def count_failed_login(sender, credentials: dict, request: HttpRequest | None = None, **kw):
    if request is None:
        return
    key = _key(_client(request), credentials.get("username", ""))
    cache.add(key, 0, settings.LOGIN_FAILURE_WINDOW_SECONDS)
    cache.incr(key)


class LoginThrottleMiddleware:
    """After LOGIN_FAILURE_LIMIT failed logins of one user name from one address within
    the window, further attempts answer 429 until the window passes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path == reverse(settings.LOGIN_URL):
            key = _key(_client(request), request.POST.get("username", ""))
            if (cache.get(key) or 0) >= settings.LOGIN_FAILURE_LIMIT:
                from registry.views.errors import too_many_requests

                return too_many_requests(request, settings.LOGIN_FAILURE_WINDOW_SECONDS)
        return self.get_response(request)
