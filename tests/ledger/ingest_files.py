"""Ledger files for the ingest tests: a small valid ledger (BASE), edits of it, and
assertions that a refused ingest wrote nothing."""

from __future__ import annotations

import copy
import csv
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from ledger import tables
from ledger.frames import Ledger
from ledger.ingest import IngestError, IngestSources, ingest
from ledger.storage import load_ledger

Table = list[list[str]]

BASE: dict[str, Table] = {
    "customers": [
        [
            "customer_id",
            "name",
            "country",
            "industry",
            "onboarding_date",
            "payment_terms_days",
            "credit_limit",
            "currency",
        ],
        ["C001", "Acme GmbH", "DE", "Manufacturing", "2023-01-15", "30", "50000", "EUR"],
        ["C002", "Beta Ltd", "GB", "Retail", "2023-03-01", "60", "", "EUR"],
    ],
    "invoices": [
        [
            "invoice_id",
            "customer_id",
            "invoice_date",
            "due_date",
            "amount",
            "currency",
            "disputed",
            "dispute_date",
            "written_off_date",
            "paid_date",
        ],
        ["INV-1", "C001", "2024-01-10", "2024-02-09", "1000.00", "EUR", "no", "", "", ""],
        ["INV-2", "C002", "2024-01-12", "2024-03-12", "250.50", "EUR", "no", "", "", ""],
        ["INV-3", "C001", "2024-02-01", "2024-03-02", "400", "EUR", "no", "", "", ""],
    ],
    "payments": [
        ["payment_id", "invoice_id", "payment_date", "amount"],
        ["P-1", "INV-1", "2024-02-01", "600"],
        ["P-2", "INV-1", "2024-02-20", "400"],
        ["P-3", "INV-2", "2024-03-01", "100"],
    ],
    "orders": [
        ["order_id", "customer_id", "order_date", "amount", "status"],
        ["O-1", "C001", "2024-03-01", "5000", "open"],
        ["O-2", "C002", "2024-03-05", "700", "invoiced"],
    ],
}

# New rows in every file: if a failing ingest wrote anything, the counts would show it.
CANARY: dict[str, list[str]] = {
    "customers": ["C003", "Canary AG", "AT", "Retail", "2023-05-01", "30", "", "EUR"],
    "invoices": ["INV-9", "C003", "2024-02-01", "2024-03-02", "90", "EUR", "no", "", "", ""],
    "payments": ["P-9", "INV-9", "2024-02-10", "90"],
    "orders": ["O-9", "C003", "2024-03-01", "10", "open"],
}

BASE_COUNTS = {"customers": 2, "invoices": 3, "payments": 3, "orders": 2}


def write_csv(path: Path, table: Table, delimiter: str = ",") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(table)
    return path


def write_ledger(folder: Path, files: dict[str, Table] | None = None) -> Path:
    for name, table in (BASE if files is None else files).items():
        write_csv(folder / f"{name}.csv", table)
    return folder


def edited(edits: Iterable[tuple[str, int, str, str]], canary: bool = True) -> dict[str, Table]:
    """BASE with cells changed; ``row`` is the spreadsheet row (header = 1)."""
    files = copy.deepcopy(BASE)
    for entity, row, column, value in edits:
        table = files[entity]
        table[row - 1][table[0].index(column)] = value
    if canary:
        for entity, row in CANARY.items():
            files[entity].append(list(row))
    return files


def snapshot(engine: Engine) -> Ledger:
    return load_ledger(engine, implied_payments=False)


def assert_same_ledger(a: Ledger, b: Ledger) -> None:
    for name in ("customers", "invoices", "payments", "orders", "credit_notes"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_like=True)


def ingest_runs(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(tables.ingest_runs)).scalar()


def fail_without_writing(engine: Engine, folder: Path, **kwargs) -> IngestError:
    before, runs = snapshot(engine), ingest_runs(engine)
    with pytest.raises(IngestError) as caught:
        ingest(engine, IngestSources.from_dir(folder), **kwargs)
    assert_same_ledger(snapshot(engine), before)
    assert ingest_runs(engine) == runs
    return caught.value
