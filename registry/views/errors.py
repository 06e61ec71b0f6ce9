"""Error pages: JSON under /api/, HTML elsewhere, in the site's style with its
navigation for a signed-in user."""

from datetime import timedelta

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from registry.views.base import team_context


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _page(request: HttpRequest, template: str, status: int, **context) -> HttpResponse:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["tc"] = team_context(request)
    return render(request, template, context, status=status)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return _page(request, "404.html", 404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": str(exception) or "Not allowed."}, status=403)
    # Only a message a view chose to raise is shown (e.g. "Your role ... is read-only.").
    message = str(exception) if exception and str(exception) else ""
    return _page(request, "403.html", 403, exception=message)


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    """429 with Retry-After, and a page that says when to try again (sign-in lockout)."""
    response = _page(
        request,
        "429.html",
        429,
        retry_after=retry_after,
        minutes=max(1, -(-retry_after // 60)),
        retry_at=timezone.localtime() + timedelta(seconds=retry_after),
    )
    response["Retry-After"] = str(retry_after)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Server error; it has been logged."}, status=500)
    return render(request, "500.html", status=500)
