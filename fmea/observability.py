"""Structured logs: every line carries the request id, user and team of the request
(or the task) it belongs to; JSON lines in production, readable text in development."""

import contextvars
import json
import logging
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("fmea.requests")
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
user_id: contextvars.ContextVar[str] = contextvars.ContextVar("user_id", default="-")
team: contextvars.ContextVar[str] = contextvars.ContextVar("team", default="-")


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.user_id = user_id.get()
        record.team = team.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "user_id": getattr(record, "user_id", "-"),
            "team": getattr(record, "team", "-"),
        }
        for key in ("task", "task_id", "duration_ms", "outcome", "status", "path"):
            if hasattr(record, key):
                line[key] = getattr(record, key)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class RequestContextMiddleware:
    """Gives each request an id (X-Request-ID, kept from a proxy or made here) and puts
    it, the user and the current team into every log line of the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        valid = 0 < len(incoming) <= 64 and incoming.isprintable()
        rid = incoming if valid else uuid.uuid4().hex
        tokens = [
            (request_id, request_id.set(rid)),
            (user_id, user_id.set("-")),
            (team, team.set("-")),
        ]
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000),
                },
            )
        finally:
            for var, token in tokens:
                var.reset(token)
        response["X-Request-ID"] = rid
        return response

    def process_view(self, request: HttpRequest, view, args, kwargs) -> None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            user_id.set(str(user.pk))
        session = getattr(request, "session", None)
        if session is not None and session.get("team_id"):
            team.set(str(session["team_id"]))


def set_user(user) -> None:
    """Record the authenticated user (token authentication happens inside the view)."""
    if user is not None and user.is_authenticated:
        user_id.set(str(user.pk))
