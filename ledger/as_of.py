"""The ledger's own date: the day its data runs to, recorded with every load.

A ledger exported on 31 October and scored five weeks later must be scored as of 31 October:
as of the wall clock, every invoice paid in those five weeks looks overdue. So each ingest (and
each API upsert) records the data's as-of date in the ingest log - the latest date of evidence
(invoice, payment, dispute, write-off and order dates), or the day the export was taken when
the caller says so - and the first date of data, and :func:`ledger_as_of` reads it back.

An as-of never moves backwards by itself: a batch of older corrections keeps the ledger's date.
A declared as-of sets it, but never before the latest evidence the ledger holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, Engine, desc, func, select

from ledger import tables

# The dated columns that are evidence of how far the data goes, per entity.
EVIDENCE_COLUMNS: dict[str, tuple[str, ...]] = {
    "invoices": ("invoice_date", "dispute_date", "written_off_date", "paid_date"),
    "payments": ("payment_date",),
    "orders": ("order_date",),
}


class DataPolicy(BaseModel):
    """Policy section ``data``: how old the ledger's data may be before answers say so."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stale_after_days: int = Field(
        7,
        ge=0,
        le=3650,
        description="Answers carry a stale_data warning when the ledger's as-of date is more "
        "than this many days before today",
    )


class AsOfError(ValueError):
    """A declared as-of date contradicts the data (before its latest evidence, or future)."""


@dataclass(frozen=True)
class LedgerDates:
    """The first date of data and the as-of date of the ledger (None while it is empty)."""

    first: dt.date | None = None
    as_of: dt.date | None = None


def spanning(*spans: LedgerDates) -> LedgerDates:
    """The earliest first date and the latest as-of date of ``spans``."""
    firsts = [s.first for s in spans if s.first is not None]
    lasts = [s.as_of for s in spans if s.as_of is not None]
    return LedgerDates(min(firsts, default=None), max(lasts, default=None))


def utc_today() -> dt.date:
    """The wall-clock date (UTC), the one reference for "today" and "stale"."""
    return dt.datetime.now(dt.UTC).date()


def _as_date(value: object) -> dt.date | None:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None


def evidence_dates(frames: Mapping[str, pd.DataFrame]) -> LedgerDates:
    """The earliest and latest evidence date in conformed entity frames (None when none)."""
    first: dt.date | None = None
    latest: dt.date | None = None
    for entity, columns in EVIDENCE_COLUMNS.items():
        frame = frames.get(entity)
        if frame is None or frame.empty:
            continue
        for column in columns:
            if column not in frame.columns:
                continue
            values = frame[column].dropna()
            if values.empty:
                continue
            low, high = _as_date(values.min()), _as_date(values.max())
            first = low if first is None or (low is not None and low < first) else first
            latest = high if latest is None or (high is not None and high > latest) else latest
    return LedgerDates(first, latest)


def next_dates(
    previous: LedgerDates,
    evidence: LedgerDates,
    declared: dt.date | None = None,
    today: dt.date | None = None,
) -> LedgerDates:
    """The ledger's dates after a load that brought ``evidence``.

    Without ``declared`` the as-of is the later of the previous as-of and the latest evidence,
    but never after ``today`` (an order booked for next week is not data from next week). A
    declared as-of (the day the export was taken) is kept as given; it may not be in the future
    nor before the latest evidence, which then includes everything already stored.
    """
    today = today or utc_today()
    span = spanning(previous, evidence)
    if declared is None:
        return LedgerDates(span.first, None if span.as_of is None else min(span.as_of, today))
    if declared > today:
        raise AsOfError(f"the as-of date {declared} is in the future (today is {today})")
    if evidence.as_of is not None and declared < evidence.as_of:
        raise AsOfError(
            f"the as-of date {declared} is before the latest date in the data "
            f"({evidence.as_of}): an export cannot hold what happened after it was taken"
        )
    return LedgerDates(span.first, declared)


def read_ledger_dates(bind: Engine | Connection) -> LedgerDates:
    """The dates recorded by the newest load; scanned from the tables when no load recorded
    them (a ledger loaded before dates were recorded), empty for an empty ledger."""
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return read_ledger_dates(connection)
    runs = tables.ingest_runs
    row = bind.execute(
        select(runs.c.data_from, runs.c.data_as_of)
        .where(runs.c.data_as_of.is_not(None))
        .order_by(desc(runs.c.run_id))
        .limit(1)
    ).first()
    if row is not None:
        return LedgerDates(_as_date(row.data_from), _as_date(row.data_as_of))
    return scan_ledger_dates(bind)


def ledger_as_of(bind: Engine | Connection) -> dt.date | None:
    """The date the ledger's data runs to (None while the ledger is empty)."""
    return read_ledger_dates(bind).as_of


def scan_ledger_dates(connection: Connection) -> LedgerDates:
    """The earliest and latest evidence date in the stored tables (full scans: for ledgers
    loaded before dates were recorded), the latest capped at today."""
    lows: list[dt.date] = []
    highs: list[dt.date] = []
    for entity, columns in EVIDENCE_COLUMNS.items():
        table = tables.ENTITY_TABLES[entity]
        for column in columns:
            low, high = connection.execute(
                select(func.min(table.c[column]), func.max(table.c[column]))
            ).one()
            lows += [d for d in (_as_date(low),) if d is not None]
            highs += [d for d in (_as_date(high),) if d is not None]
    latest = max(highs, default=None)
    return LedgerDates(
        min(lows, default=None), None if latest is None else min(latest, utc_today())
    )


def data_age_days(as_of: dt.date, today: dt.date | None = None) -> int:
    """Days from the ledger's as-of date to today."""
    return ((today or utc_today()) - as_of).days


def stale_warning(
    as_of: dt.date | None, policy: DataPolicy, today: dt.date | None = None
) -> dict[str, str] | None:
    """The ``stale_data`` warning when the data is older than the policy allows, else None."""
    if as_of is None:
        return None
    age = data_age_days(as_of, today)
    if age <= policy.stale_after_days:
        return None
    return {
        "code": "stale_data",
        "message": f"the ledger's data runs to {as_of}, {age} days ago (the policy allows "
        f"{policy.stale_after_days}): figures are as of {as_of}; load a newer export to see "
        "what happened since",
    }
