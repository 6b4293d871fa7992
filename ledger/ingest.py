"""Validated ingest of AR ledger files (CSV/Parquet) into the SQL database: all or nothing.

Files are read (:mod:`ledger.readers`), every rule is checked against the files and what the
database already holds (:mod:`ledger.validate`), and only then are the rows upserted by id in
one transaction — so a bad file never leaves half a ledger behind, and loading the same export
twice changes nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

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
        """Find ``customers``, ``invoices``, ``payments`` and ``orders`` (.csv or .parquet)."""
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
                        "no invoices file found: expected invoices.csv or invoices.parquet "
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
    """What an ingest wrote (rows per entity), what the user should know, and how long it took."""

    rows: dict[str, int]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def read_sources(
    sources: IngestSources, max_issues: int = DEFAULT_MAX_ISSUES
) -> tuple[dict[str, pd.DataFrame], dict[str, str], list[str]]:
    """Read every given file: raw frames and display names by entity, plus notes.

    All files are read before failing, so one run reports every unreadable file.
    """
    raw: dict[str, pd.DataFrame] = {}
    names: dict[str, str] = {}
    notes: list[str] = []
    problems: list[Issue] = []
    for name, path in sources.paths().items():
        try:
            frame, file_notes = read_table(path)
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
) -> IngestResult:
    """Validate the files against each other and the database, then upsert them by id.

    Raises :class:`IngestError` (nothing written) when any rule is broken. The stored ledger is
    read inside the writing transaction, so validation sees exactly what the rows land on.
    """
    started = time.perf_counter()
    raw, names, notes = read_sources(sources, max_issues)
    with engine.begin() as connection:
        existing = load_ledger(connection, implied_payments=False)
        frames = validate_frames(
            raw,
            existing,
            mapping=mapping,
            date_format=date_format,
            currency=currency,
            max_issues=max_issues,
            file_names=names,
            notes=notes,
        )
        written = upsert_frames(connection, frames, provided_columns(raw, mapping))
        record_ingest_run(connection, _describe(sources), written, notes)
    return IngestResult(rows=written, notes=notes, seconds=time.perf_counter() - started)


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
