"""Request rate limits.

DRF's throttles read their rates once, at import, into the class attribute
`THROTTLE_RATES`; these subclasses read `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]` on
every request instead, so a changed setting (and a test's `settings` fixture) applies
at once. The counters live in the default cache: configure a shared cache (CACHE_URL,
Redis) when several processes serve the API, or each process counts on its own.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle


class LiveRatesMixin:
    @property
    def THROTTLE_RATES(self) -> dict[str, str | None]:
        return api_settings.DEFAULT_THROTTLE_RATES


class UserThrottle(LiveRatesMixin, UserRateThrottle):
    """Authenticated callers, per user: scope "user"."""


class AnonThrottle(LiveRatesMixin, AnonRateThrottle):
    """Anonymous callers, per client address: scope "anon"."""


class ScopedThrottle(LiveRatesMixin, ScopedRateThrottle):
    """Views that name a `throttle_scope`, e.g. "auth" for the token endpoint: per user,
    or per client address for anonymous callers."""
