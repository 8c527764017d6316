"""Rate limits of the widget's public API, per visitor and per client address.

The widget is open to the internet: a script hammering it must not crowd out the
project's real customers, nor fill its queues. Limits come from the ``limits`` library
(moving windows, in memory here; its Redis storage serves several servers alike).
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from dozvon.core.errors import DozvonError

#: What one visitor may do, and what one address may (an office shares one address).
NEW_VISITOR_PER_ADDRESS = parse("30/minute")
MESSAGES_PER_VISITOR = parse("20/minute")
MESSAGES_PER_ADDRESS = parse("240/minute")
TYPING_PER_VISITOR = parse("120/minute")
READS_PER_ADDRESS = parse("600/minute")


class TooManyRequests(DozvonError):
    status_code = 429

    def __init__(self, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        self.headers = {"Retry-After": str(seconds)}
        super().__init__("widget.too_many", seconds=seconds)


class Limits:
    """One server's counters (each app has its own: see :func:`dozvon.widget.mount.mount`)."""

    def __init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, item: RateLimitItem, *key: str) -> None:
        """Count one more; over the limit: :class:`TooManyRequests` with when to retry."""
        if not self._limiter.hit(item, *key):
            reset = self._limiter.get_window_stats(item, *key).reset_time
            raise TooManyRequests(reset - time.time())

    def allowed(self, item: RateLimitItem, *key: str) -> bool:
        """Count one more; False over the limit (for signals that are simply dropped)."""
        return bool(self._limiter.hit(item, *key))
