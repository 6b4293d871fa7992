"""The whole book's aging as the pages list it (customers list, portfolio, worklist), kept per
worker for a few minutes: aging every customer reads the whole ledger (about a second per
few hundred customers on SQLite), and the list is paged, sorted and filtered many times
between two changes of the data."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass

import pandas as pd

from features.aging import AgingReport, age_ledger
from ledger.storage import load_ledger
from serving.state import ServiceState

KEEP_SECONDS = 300.0


@dataclass(frozen=True)
class Book:
    day: dt.date
    report: AgingReport
    made_at: float


_lock = threading.Lock()
_cache: dict[int, Book] = {}


def book_aging(state: ServiceState, day: dt.date) -> AgingReport:
    """The aging of every customer as of ``day`` (from this worker's cache when fresh)."""
    key = id(state)
    with _lock:
        found = _cache.get(key)
        if (
            found is not None
            and found.day == day
            and time.monotonic() - found.made_at < KEEP_SECONDS
        ):
            return found.report
        report = age_ledger(load_ledger(state.engine), day, state.policy.rules)
        _cache[key] = Book(day, report, time.monotonic())
        return report


def forget(state: ServiceState) -> None:
    """Drop the cached aging (after a change the lists must show at once, e.g. a new limit)."""
    with _lock:
        _cache.pop(id(state), None)


def warnings_by_customer(report: AgingReport) -> pd.Series:
    """Each customer's early-warning codes, as one comma-separated text."""
    w = report.warnings
    if len(w) == 0:
        return pd.Series(dtype=object)
    return w.groupby("customer_id")["code"].agg(lambda codes: ", ".join(sorted(set(codes))))
