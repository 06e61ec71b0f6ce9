"""What the report and import endpoints share as job endpoints: the Idempotency-Key
header that makes a retried request safe, and the 503 of a job whose task could not be
queued."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request

from registry.jobs import IDEMPOTENCY_KEY_MAX_LENGTH, IdempotencyKeyReused, QueueUnavailable

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Any unique string (a UUID, say) of at most "
    f"{IDEMPOTENCY_KEY_MAX_LENGTH} characters. A retry with the same key gets the job the "
    "first request made, answered as the first time, instead of a second one; the same "
    "key with a different request is refused (422). A job failed with 503 keeps no key: "
    "retry with the same one.",
)

KEY_REUSED = OpenApiResponse(
    description="The Idempotency-Key was sent before with a different request."
)

QUEUE_DOWN = OpenApiResponse(
    description="The task queue is unreachable: the job was failed before it started; "
    "retry after the Retry-After header's seconds."
)


def idempotency_key(request: Request) -> str | None:
    """The request's Idempotency-Key header, checked; None without one."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX_LENGTH or not key.isprintable():
        raise serializers.ValidationError(
            {
                "Idempotency-Key": [
                    f"Give 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} printable characters, e.g. a UUID."
                ]
            }
        )
    return key


class QueueDown(exceptions.APIException):
    """503 with Retry-After (DRF sends `wait` as that header)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "queue_unavailable"

    def __init__(self, error: QueueUnavailable) -> None:
        super().__init__(str(error))
        self.wait = error.retry_after


class KeyReused(exceptions.APIException):
    """422: the Idempotency-Key belongs to another request of the caller's."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"

    def __init__(self, error: IdempotencyKeyReused) -> None:
        super().__init__(str(error))
