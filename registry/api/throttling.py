"""Request rate limits.

DRF's throttles read their rates once, at import, into the class attribute
`THROTTLE_RATES`; these subclasses read `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]` on
every request instead, so a changed setting (and a test's `settings` fixture) applies
at once. The counters live in the default cache: configure a shared cache (CACHE_URL,
Redis) when several processes serve the API, or each process counts on its own. When
that cache cannot be reached the limits are not enforced (with a warning in the log):
an outage of the cache slows nothing down and refuses no one.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle

from fmea.security import CACHE_ERRORS, cache_unreachable


class LiveRatesMixin:
    @property
    def THROTTLE_RATES(self) -> dict[str, str | None]:
        return api_settings.DEFAULT_THROTTLE_RATES

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as exc:
            cache_unreachable("API rate limits", exc)
            return True


class UserThrottle(LiveRatesMixin, UserRateThrottle):
    """Authenticated callers, per user: scope "user"."""


class AnonThrottle(LiveRatesMixin, AnonRateThrottle):
    """Anonymous callers, per client address: scope "anon"."""


class ScopedThrottle(LiveRatesMixin, ScopedRateThrottle):
    """Views that name a `throttle_scope`, e.g. "auth" for the token endpoint: per user,
    or per client address for anonymous callers."""
