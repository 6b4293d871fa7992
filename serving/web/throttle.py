"""Sign-in throttling: too many failed attempts for one user name, or from one address, within
a window are refused (429) until the window passes.

Memory is bounded: at most ``max_keys`` names and addresses are tracked per worker, the least
recently failed dropped first. Each worker counts its own attempts, so with two workers a
guesser gets at most twice the limit - still a handful of guesses against argon2 hashes.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class SignInThrottle:
    """Counts failed sign-ins per key (``user:NAME``, ``ip:ADDRESS``) in a sliding window."""

    def __init__(
        self,
        max_failures: int = 5,
        window_seconds: float = 300.0,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.max_keys = max_keys
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and now - times[0] >= self.window_seconds:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def retry_after(self, *keys: str) -> float:
        """Seconds until any of ``keys`` may try again; 0 when none is blocked."""
        now = self._clock()
        with self._lock:
            waits = [
                self.window_seconds - (now - times[0])
                for key in keys
                if len(times := self._recent(key, now)) >= self.max_failures
            ]
        return max(waits, default=0.0)

    def failed(self, *keys: str) -> None:
        """Record a failed attempt against each of ``keys``."""
        now = self._clock()
        with self._lock:
            for key in keys:
                times = self._failures.pop(key, None) or deque()
                times.append(now)
                while len(times) > self.max_failures:
                    times.popleft()  # only the last max_failures matter
                self._failures[key] = times  # most recent at the end
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def succeeded(self, *keys: str) -> None:
        """Forget the failures of ``keys`` after a successful sign-in."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)

    def __len__(self) -> int:
        return len(self._failures)
