"""Per-caller limits on the endpoints that read the whole ledger.

A token bucket per caller (token name): ``burst`` calls at once, refilled at ``per_minute``.
A call over the limit is refused before any work with 429 and ``Retry-After`` (whole seconds
until the next call is allowed).

The buckets live in each worker's memory: a shared counter would cost a database write per call,
which on SQLite waits behind every ingest (issue #12 item 3). So with N workers a caller whose
connections land on every worker may make up to N times the rate; the limit bounds the load one
caller puts on the service, not an exact quota.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Token buckets by caller; ``per_minute`` 0 admits everything."""

    def __init__(
        self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # caller -> (tokens, at)

    def acquire(self, caller: str) -> float:
        """Take one call for ``caller``: 0 when admitted, else the seconds until one is."""
        if self._rate == 0:
            return 0.0
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.get(caller, (self._burst, now))
            tokens = min(self._burst, tokens + (now - at) * self._rate)
            if tokens >= 1.0:
                self._buckets[caller] = (tokens - 1.0, now)
                return 0.0
            self._buckets[caller] = (tokens, now)
            return (1.0 - tokens) / self._rate

    @staticmethod
    def retry_after(wait: float) -> str:
        """``wait`` as a ``Retry-After`` header value (whole seconds, at least 1)."""
        return str(max(1, math.ceil(wait)))
