"""API exception handling: bad input is a 400, never a 500."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, DataError):
        # The last line of defence: serializers check what they can, but a value the
        # database still refuses (too long, out of range, a NUL character) is bad input.
        return Response(
            {"detail": "The database refused a value: it is out of range or malformed."},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, DjangoValidationError):
        # A rule the model checks again as it saves, inside its lock (e.g. a dependency
        # loop that a concurrent write closed after validation): answered like the same
        # rule caught by validation.
        exc = serializers.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        )
    return drf_exception_handler(exc, context)
