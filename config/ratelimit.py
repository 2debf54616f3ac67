"""Rate limits kept in the cache (Redis when configured), that keep the site up when it is not.

A rate limit guards against abuse; it is not worth an error page for everyone while Redis is
down. When the cache cannot be reached the request is let through and the outage is logged;
the limits that protect accounts (django-axes lockouts) live in the database and still hold.
"""

import logging

from django.core.cache import cache
from rest_framework.throttling import ScopedRateThrottle

logger = logging.getLogger(__name__)


def hits_in_last_minute(key: str) -> int:
    """Count this hit and return how many came before it in the current minute."""
    try:
        earlier = cache.get_or_set(key, 0, timeout=60)
        cache.incr(key)
    except Exception:  # noqa: BLE001 - any cache failure: let the request through, say so
        logger.warning("rate limit %s not counted: the cache is unreachable", key, exc_info=True)
        return 0
    return earlier


class CacheTolerantScopedRateThrottle(ScopedRateThrottle):
    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception:  # noqa: BLE001 - as above
            logger.warning("API throttle skipped: the cache is unreachable", exc_info=True)
            return True
