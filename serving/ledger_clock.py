"""The ledger's dates as each worker sees them: read once, kept, refreshed every few seconds.

Every answer about receivables is as of the ledger's as-of date (:mod:`ledger.as_of`), so the
limit check - about a millisecond - would pay for reading it on every request. Each worker keeps
the dates and re-reads them (one indexed read of the newest ingest run) when they are older than
``RELOAD_CHECK_SECONDS``: an ingest or upsert reaches every worker within the same interval a
model reload does, and at once in the worker that made an API upsert (:meth:`LedgerClock.set`).
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine

from ledger.as_of import LedgerDates, read_ledger_dates


class LedgerClock:
    """The ledger's first and as-of dates, cached for ``max_age`` seconds (0: read each time)."""

    def __init__(self, engine: Engine, max_age: float) -> None:
        self._engine = engine
        self._max_age = max_age
        self._lock = threading.Lock()
        self._dates = LedgerDates()
        self._read_at: float | None = None

    def dates(self) -> LedgerDates:
        """The cached dates, re-read when older than ``max_age``; a failed read keeps the last
        known dates (the request's own database read then reports the outage)."""
        read_at = self._read_at
        if read_at is not None and time.monotonic() - read_at < self._max_age:
            return self._dates
        with self._lock:
            if self._read_at is not None and time.monotonic() - self._read_at < self._max_age:
                return self._dates
            try:
                self.set(read_ledger_dates(self._engine))
            except Exception:
                if self._read_at is None:
                    raise
            return self._dates

    def set(self, dates: LedgerDates) -> None:
        """Take ``dates`` as the ledger's (after this worker changed the ledger)."""
        self._dates = dates
        self._read_at = time.monotonic()
