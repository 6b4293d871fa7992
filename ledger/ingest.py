"""Validated ingest of AR ledger files (CSV, Excel or Parquet) into SQL: all or nothing.

Files are read (:mod:`ledger.readers`), every rule is checked against the files and what the
database already holds (:mod:`ledger.validate`), and only then are the rows upserted by id in
one transaction — so a bad file never leaves half a ledger behind, and loading the same export
twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine

from ledger.as_of import (
    AsOfError,
    LedgerDates,
    evidence_dates,
    next_dates,
    read_ledger_dates,
    spanning,
)
from ledger.credit_limits import LimitPlan, plan_limits, record_limit_changes
from ledger.frames import Ledger
from ledger.readers import MappingError, find_entity_file, read_mapping, read_table
from ledger.storage import load_ledger, record_ingest_run, upsert_frames
from ledger.validate import (
    DEFAULT_MAX_ISSUES,
    ColumnMapping,
    IngestError,
    Issue,
    provided_columns,
    validate_frames,
)


@dataclass(frozen=True)
class IngestSources:
    """One file per entity; only invoices are required."""

    customers: Path | None
    invoices: Path
    payments: Path | None = None
    orders: Path | None = None

    @classmethod
    def from_dir(cls, folder: Path) -> IngestSources:
        """Find ``customers``, ``invoices``, ``payments`` and ``orders`` (.csv, .xlsx or
        .parquet)."""
        folder = Path(folder)
        if not folder.is_dir():
            raise IngestError([Issue(str(folder), None, None, None, "folder not found")])
        found = {name: find_entity_file(folder, name) for name in _ENTITY_FILES}
        invoices = found["invoices"]
        if invoices is None:
            raise IngestError(
                [
                    Issue(
                        str(folder),
                        None,
                        None,
                        None,
                        "no invoices file found: expected invoices.csv, invoices.xlsx or "
                        "invoices.parquet "
                        "(customers, payments and orders files are optional)",
                    )
                ]
            )
        return cls(
            customers=found["customers"],
            invoices=invoices,
            payments=found["payments"],
            orders=found["orders"],
        )

    def paths(self) -> dict[str, Path]:
        """The given files by entity, in load order."""
        given = {
            "customers": self.customers,
            "invoices": self.invoices,
            "payments": self.payments,
            "orders": self.orders,
        }
        return {name: Path(path) for name, path in given.items() if path is not None}


_ENTITY_FILES = ("customers", "invoices", "payments", "orders")


@dataclass(frozen=True)
class IngestResult:
    """What an ingest wrote (rows per entity), what the user should know, how long it took,
    and the ledger's as-of date after it."""

    rows: dict[str, int]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    data_as_of: dt.date | None = None
    limit_changes: int = 0  # approved credit limits set or changed (credit_limit_changes rows)


def read_sources(
    sources: IngestSources,
    max_issues: int = DEFAULT_MAX_ISSUES,
    encoding: str | None = None,
    sheet: str | None = None,
) -> tuple[dict[str, pd.DataFrame], dict[str, str], list[str]]:
    """Read every given file: raw frames and display names by entity, plus notes.

    ``encoding`` applies to CSV files (default: detected), ``sheet`` to Excel workbooks
    (default: the first sheet). All files are read before failing, so one run reports every
    unreadable file.
    """
    raw: dict[str, pd.DataFrame] = {}
    names: dict[str, str] = {}
    notes: list[str] = []
    problems: list[Issue] = []
    for name, path in sources.paths().items():
        try:
            frame, file_notes = read_table(path, encoding=encoding, sheet=sheet)
        except IngestError as exc:
            problems.extend(exc.issues)
            continue
        raw[name], names[name] = frame, path.name
        notes.extend(file_notes)
    if problems:
        raise IngestError(problems[:max_issues], len(problems))
    return raw, names, notes


def ingest(
    engine: Engine,
    sources: IngestSources,
    mapping: ColumnMapping | None = None,
    date_format: str | None = None,
    currency: str = "EUR",
    max_issues: int = DEFAULT_MAX_ISSUES,
    as_of: dt.date | None = None,
    update_limits: bool = False,
    progress: Callable[[str], None] | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
) -> IngestResult:
    """Validate the files against each other and the database, then upsert them by id.

    Raises :class:`IngestError` (nothing written) when any rule is broken. The stored ledger is
    read inside the writing transaction, so validation sees exactly what the rows land on.
    ``as_of`` is the day the export was taken; without it the ledger's as-of date is the latest
    date in the data (:mod:`ledger.as_of`). An ``as_of`` before that date, or in the future, is
    an error. A file's ``credit_limit`` sets only the limits customers do not have yet, unless
    ``update_limits``; every limit it sets or changes is recorded (:mod:`ledger.credit_limits`).
    ``progress`` gets a line as each stage ends, with its counts and seconds. ``decimal`` is the
    decimal mark of numbers written as text ("," or "."; default: detected per column),
    ``encoding`` and ``sheet`` are passed to :func:`read_sources`.
    """
    started = time.perf_counter()
    stage = _Stages(progress)
    raw, names, notes = read_sources(sources, max_issues, encoding, sheet)
    given = sum(len(frame) for frame in raw.values())
    stage.done(f"read {given:,} rows from {', '.join(names.values())}")
    with engine.begin() as connection:
        existing = load_ledger(connection, implied_payments=False)
        stage.done(
            f"read the stored ledger ({len(existing.customers):,} customers, "
            f"{len(existing.invoices):,} invoices)"
        )
        frames = validate_frames(
            raw,
            existing,
            mapping=mapping,
            date_format=date_format,
            decimal=decimal,
            currency=currency,
            max_issues=max_issues,
            file_names=names,
            notes=notes,
        )
        stage.done(f"checked {given:,} rows against every rule")
        dates = _dates_after(connection, existing, frames, as_of)
        columns = provided_columns(raw, mapping)
        limits = None
        if "credit_limit" in columns.get("customers", ()):
            limits = plan_limits(frames["customers"], existing.customers, update_limits)
            frames = {**frames, "customers": limits.customers}
            notes.extend(_limit_notes(limits, names["customers"]))
        written = upsert_frames(connection, frames, columns)
        if limits is not None:
            reason = f"credit_limit in the customers file {names['customers']}" + (
                " (ingest --update-limits)" if update_limits else ""
            )
            record_limit_changes(connection, limits.changes, reason)
        record_ingest_run(connection, _describe(sources), written, notes, dates)
    stage.done(f"wrote {sum(written.values()):,} rows in one transaction")
    return IngestResult(
        rows=written,
        notes=notes,
        seconds=time.perf_counter() - started,
        data_as_of=dates.as_of,
        limit_changes=0 if limits is None else len(limits.changes),
    )


class _Stages:
    """Reports each stage's line with the seconds it took to ``progress`` (if any)."""

    def __init__(self, progress: Callable[[str], None] | None) -> None:
        self._progress = progress
        self._since = time.perf_counter()

    def done(self, what: str) -> None:
        now = time.perf_counter()
        if self._progress is not None:
            self._progress(f"{what} in {now - self._since:.1f} s")
        self._since = now


def _limit_notes(limits: LimitPlan, file: str) -> list[str]:
    def customers(n: int) -> str:
        return f"{n:,} customer" + ("" if n == 1 else "s")

    notes = []
    if limits.changes:
        notes.append(
            f"{file}: credit limit set or changed for {customers(len(limits.changes))} "
            "(each recorded as a limit change)"
        )
    if limits.kept:
        n = len(limits.kept)
        shown = ", ".join(limits.kept[:5]) + (" …" if n > 5 else "")
        notes.append(
            f"{file}: {customers(n)} ({shown}) {'has' if n == 1 else 'have'} an approved limit "
            "that differs from the file's; the approved limits were kept "
            "(`arscore ingest --update-limits` applies the file's and records each change)"
        )
    return notes


def _dates_after(
    connection: Connection,
    existing: Ledger,
    frames: dict[str, pd.DataFrame],
    as_of: dt.date | None,
) -> LedgerDates:
    """The ledger's dates once ``frames`` are stored over ``existing`` (the whole ledger)."""
    stored = {
        "invoices": existing.invoice_rows,
        "payments": existing.payments,
        "orders": existing.orders,
    }
    evidence = spanning(evidence_dates(stored), evidence_dates(frames))
    try:
        return next_dates(read_ledger_dates(connection), evidence, as_of)
    except AsOfError as exc:
        value = None if as_of is None else as_of.isoformat()
        raise IngestError([Issue("as-of date", None, None, value, str(exc))]) from exc


def _describe(sources: IngestSources) -> str:
    return "; ".join(f"{name}={path}" for name, path in sources.paths().items())


__all__ = [
    "ColumnMapping",
    "IngestError",
    "IngestResult",
    "IngestSources",
    "Issue",
    "MappingError",
    "ingest",
    "read_mapping",
    "read_sources",
    "validate_frames",
]
