"""The sign-in page's lockout: after LOGIN_FAILURE_LIMIT failed sign-ins the page
answers the styled 429. The rule itself (`fmea.security.login_locked_out`) is shared
with the API's token endpoint."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from fmea.security import login_locked_out
from registry.views.errors import too_many_requests


class LoginThrottleMiddleware:
    """After LOGIN_FAILURE_LIMIT failed sign-ins of one user name from one client within
    the window, further attempts on the sign-in page answer 429 until the window passes
    (the token endpoint asks `login_locked_out` itself: its body is JSON)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path == reverse(settings.LOGIN_URL):
            wait = login_locked_out(request, request.POST.get("username"))
            if wait:
                return too_many_requests(request, wait)
        return self.get_response(request)
