"""Attempt counters on the app's rate-limit storage (shared by every worker when it is Redis).

Flask-Limiter's per-route decorators count every request; these count only what the caller
decides to (failed registrations, failed share-code look-ups) and are checked before the work,
with the same storage, strategy, configuration and `limiter.reset()` as the decorators.
"""

from __future__ import annotations

import functools
import math
import time

from flask import current_app, request
from limits import RateLimitItem, parse

from jxjd.errors import TooManyRequests
from jxjd.extensions import limiter


@functools.lru_cache(maxsize=32)
def _parsed(limit: str) -> RateLimitItem:
    return parse(limit)


def client_key() -> str:
    """The client address as Flask-Limiter sees it (X-Forwarded-For behind JXJD_PROXY_COUNT)."""
    return request.remote_addr or "-"


class Counter:
    """A named allowance whose limit string comes from the app config (e.g. "5 per hour")."""

    def __init__(self, scope: str, config_key: str) -> None:
        self.scope = scope
        self.config_key = config_key

    def _item(self) -> RateLimitItem:
        return _parsed(current_app.config[self.config_key])

    def retry_after(self, key: str) -> int | None:
        """Seconds until `key` may try again, or None while it is within its allowance."""
        item = self._item()
        if limiter.limiter.test(item, self.scope, key):
            return None
        reset_at = limiter.limiter.get_window_stats(item, self.scope, key).reset_time
        return max(1, math.ceil(reset_at - time.time()))

    def hit(self, key: str) -> bool:
        """Use up one attempt; False when that went over the allowance."""
        return limiter.limiter.hit(self._item(), self.scope, key)


def too_many(retry: int, detail: str | None = None) -> TooManyRequests:
    """429 with Retry-After, for the API and for pages."""
    return TooManyRequests(
        detail or f"尝试次数过多，请 {retry} 秒后再试",
        headers={"Retry-After": str(retry)},
        retry_after=retry,
    )


def refuse_if_over(*checks: tuple[Counter, str]) -> None:
    """Raise 429 when any (counter, key) has used up its allowance."""
    waits = [w for counter, key in checks if (w := counter.retry_after(key)) is not None]
    if waits:
        raise too_many(max(waits))
