"""Validated ingest end to end: good files load idempotently, files that cannot be read
are all reported, and a refused ingest writes nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from ledger.ingest import IngestError, IngestResult, IngestSources, ingest
from ledger.storage import table_counts

from .ingest_files import (
    BASE,
    BASE_COUNTS,
    assert_same_ledger,
    edited,
    fail_without_writing,
    ingest_runs,
    snapshot,
    write_csv,
    write_ledger,
)

# ---------------------------------------------------------------------------------------------
# Loading good files


def test_valid_ledger_loads_every_entity_with_ids_kept_as_text(engine: Engine, tmp_path: Path):
    result = ingest(engine, IngestSources.from_dir(write_ledger(tmp_path)))

    assert isinstance(result, IngestResult)
    assert result.rows == BASE_COUNTS
    assert table_counts(engine) == BASE_COUNTS
    stored = snapshot(engine)
    inv1 = stored.invoices.set_index("invoice_id").loc["INV-1"]
    assert inv1["customer_id"] == "C001"
    assert inv1["due_date"] == pd.Timestamp("2024-02-09")
    assert inv1["amount"] == 1000.0
    assert not inv1["disputed"]
    assert pd.isna(stored.customers.set_index("customer_id").loc["C002", "credit_limit"])
    assert ingest_runs(engine) == 1


def test_reingesting_the_same_files_changes_nothing(engine: Engine, tmp_path: Path):
    folder = write_ledger(tmp_path)
    first = ingest(engine, IngestSources.from_dir(folder))
    after_first = snapshot(engine)

    second = ingest(engine, IngestSources.from_dir(folder))

    assert second.rows == first.rows
    assert table_counts(engine) == BASE_COUNTS
    assert_same_ledger(snapshot(engine), after_first)


def test_reingest_with_a_changed_amount_updates_that_row(engine: Engine, tmp_path: Path):
    ingest(engine, IngestSources.from_dir(write_ledger(tmp_path / "a")))
    changed = edited([("invoices", 4, "amount", "450"), ("payments", 3, "amount", "300")], False)

    ingest(engine, IngestSources.from_dir(write_ledger(tmp_path / "b", changed)))

    stored = snapshot(engine)
    assert table_counts(engine) == BASE_COUNTS
    assert stored.invoices.set_index("invoice_id").loc["INV-3", "amount"] == 450.0
    # P-2 was replaced, not added: INV-1 is now paid 900 of 1000.
    assert stored.payments.set_index("payment_id").loc["P-2", "amount"] == 300.0


def test_reingest_without_a_column_keeps_the_stored_values(engine: Engine, tmp_path: Path):
    ingest(engine, IngestSources.from_dir(write_ledger(tmp_path / "a")))
    keep = [0, 1, 2, 3, 4, 5]  # customers file without credit_limit and currency columns
    slim = {"customers": [[row[i] for i in keep] for row in BASE["customers"]]}
    slim["customers"][1][1] = "Acme Holding GmbH"  # a renamed customer

    ingest(
        engine,
        IngestSources(
            customers=write_csv(tmp_path / "c.csv", slim["customers"]),
            invoices=write_csv(tmp_path / "i.csv", BASE["invoices"]),
        ),
    )

    customers = snapshot(engine).customers.set_index("customer_id")
    assert customers.loc["C001", "name"] == "Acme Holding GmbH"
    assert customers.loc["C001", "credit_limit"] == 50000.0  # not wiped
    assert customers.loc["C001", "currency"] == "EUR"


def test_bad_row_writes_nothing_even_when_other_rows_are_new(engine: Engine, tmp_path: Path):
    ingest(engine, IngestSources.from_dir(write_ledger(tmp_path / "a")))
    bad = edited([("invoices", 3, "due_date", "2024-01-01")])

    error = fail_without_writing(engine, write_ledger(tmp_path / "b", bad))

    assert error.total == 1
    assert table_counts(engine) == BASE_COUNTS


# ---------------------------------------------------------------------------------------------
# Files that cannot be read at all


def test_folder_without_invoices_is_refused(tmp_path: Path):
    write_csv(tmp_path / "customers.csv", BASE["customers"])

    with pytest.raises(IngestError, match=r"no invoices file found: expected invoices\.csv"):
        IngestSources.from_dir(tmp_path)


def test_unreadable_files_are_all_reported(sqlite_engine: Engine, tmp_path: Path):
    invoices = write_csv(tmp_path / "invoices.csv", [*BASE["invoices"], ["INV-4", "C1", "x"] * 4])
    payments = tmp_path / "payments.csv"
    payments.write_bytes(b"\n")
    orders = tmp_path / "orders.xlsx"
    orders.write_bytes(b"PK")  # a damaged workbook (an .xlsx file is a zip archive)

    with pytest.raises(IngestError) as caught:
        ingest(
            sqlite_engine,
            IngestSources(customers=None, invoices=invoices, payments=payments, orders=orders),
        )

    reasons = {i.file: (i.row, i.reason) for i in caught.value.issues}
    assert reasons["invoices.csv"][0] == 5
    assert "Expected 10 fields in line 5, saw 12" in reasons["invoices.csv"][1]
    assert "the file is empty" in reasons["payments.csv"][1]
    assert "not a readable Excel .xlsx file" in reasons["orders.xlsx"][1]
    assert table_counts(sqlite_engine) == dict.fromkeys(BASE_COUNTS, 0)
