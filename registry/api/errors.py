"""API exception handling: bad input is a 400, never a 500."""

from django.db import DataError
from rest_framework import status
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
    return drf_exception_handler(exc, context)
