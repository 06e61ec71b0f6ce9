"""Liveness and readiness probes: JSON, no authentication, no secrets."""

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from fmea.celery import app as celery_app


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving requests."""
    return JsonResponse({"status": "ok"})


def _database() -> tuple[bool, str]:
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # reported, not raised: this is a probe
        return False, f"unreachable ({type(exc).__name__})"
    if pending:
        return False, f"{len(pending)} migrations not applied"
    return True, "ok"


def _broker() -> tuple[bool, str]:
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return False, f"unreachable ({type(exc).__name__})"
    return True, "ok"


def _cache() -> tuple[bool, str]:
    try:
        cache.get("readyz")
    except Exception as exc:
        return False, f"unreachable ({type(exc).__name__})"
    return True, "ok"


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """The database and the broker answer and every migration is applied. The cache is
    reported too, but the app serves without it (rate limits and the sign-in lockout
    are then off): "degraded", still 200, so an outage of the cache takes no server
    out of rotation."""
    checks = {"database": _database(), "broker": _broker(), "cache": _cache()}
    ready = checks["database"][0] and checks["broker"][0]
    status = "ok" if all(ok for ok, _ in checks.values()) else "degraded"
    return JsonResponse(
        {
            "status": status if ready else "unavailable",
            "checks": {name: detail for name, (_, detail) in checks.items()},
        },
        status=200 if ready else 503,
    )
