"""A bare invoice export, the defaults validation fills in (currency, customers,
dispute dates) and the notes that say so."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from ledger.frames import Ledger
from ledger.ingest import IngestSources, ingest, validate_frames
from ledger.storage import table_counts

from .ingest_files import (
    BASE,
    BASE_COUNTS,
    edited,
    fail_without_writing,
    snapshot,
    write_csv,
    write_ledger,
)

# ---------------------------------------------------------------------------------------------
# A bare invoice export, defaults and notes


def test_bare_invoice_export_creates_its_customers(engine: Engine, tmp_path: Path):
    invoices = write_csv(
        tmp_path / "export.csv",
        [
            ["invoice_id", "customer_id", "invoice_date", "due_date", "amount"],
            ["1", "0042", "2024-01-10", "2024-02-09", "100"],
            ["2", "0042", "2024-02-10", "2024-03-11", "100"],
            ["3", "7", "2024-03-01", "2024-04-30", "50"],
        ],
    )

    result = ingest(engine, IngestSources(customers=None, invoices=invoices), currency="CHF")

    customers = snapshot(engine).customers.set_index("customer_id")
    assert sorted(customers.index) == ["0042", "7"]
    assert customers.loc["0042", "onboarding_date"] == pd.Timestamp("2024-01-10")
    assert customers.loc["0042", "payment_terms_days"] == 30
    assert customers.loc["7", "payment_terms_days"] == 60
    assert set(customers["currency"]) == {"CHF"}
    assert result.rows["customers"] == 2
    assert any(n.startswith("customers created from invoices: 2") for n in result.notes)
    assert (
        "export.csv: no currency column; used CHF (the ARSCORE_CURRENCY setting) for every row"
        in result.notes
    )

    again = ingest(engine, IngestSources(customers=None, invoices=invoices), currency="CHF")
    assert again.rows["customers"] == 0
    assert table_counts(engine)["customers"] == 2


def test_created_customer_takes_the_currency_of_its_invoices(sqlite_engine: Engine, tmp_path: Path):
    invoices = write_csv(
        tmp_path / "invoices.csv",
        [
            ["invoice_id", "customer_id", "invoice_date", "due_date", "amount", "currency"],
            ["1", "C1", "2024-01-10", "2024-02-09", "100", "USD"],
            ["2", "C2", "2024-01-10", "2024-02-09", "100", ""],
        ],
    )

    result = ingest(sqlite_engine, IngestSources(customers=None, invoices=invoices))

    currency = snapshot(sqlite_engine).customers.set_index("customer_id")["currency"]
    assert currency.to_dict() == {"C1": "USD", "C2": "EUR"}
    assert "invoices.csv: currency empty on 1 rows; used EUR (the ARSCORE_CURRENCY setting)" in (
        result.notes
    )


def test_order_for_a_customer_nobody_knows_is_refused_without_customers_file(
    sqlite_engine: Engine, tmp_path: Path
):
    folder = tmp_path / "l"
    write_csv(folder / "invoices.csv", BASE["invoices"])
    write_csv(folder / "orders.csv", [*BASE["orders"], ["O-3", "C404", "2024-03-01", "1", "open"]])

    error = fail_without_writing(sqlite_engine, folder)

    (issue,) = error.issues
    assert (issue.file, issue.row) == ("orders.csv", 4)
    assert issue.reason == (
        "customer C404 is not in the database or invoices.csv (no customers file given)"
    )


def test_disputed_invoice_without_date_is_disputed_from_its_due_date(
    sqlite_engine: Engine, tmp_path: Path
):
    files = edited(
        [
            ("invoices", 2, "disputed", "Yes"),
            ("invoices", 3, "disputed", ""),
            ("invoices", 3, "dispute_date", "2024-02-01"),
        ],
        canary=False,
    )

    result = ingest(sqlite_engine, IngestSources.from_dir(write_ledger(tmp_path, files)))

    invoices = snapshot(sqlite_engine).invoices.set_index("invoice_id")
    assert invoices.loc["INV-1", "disputed"]
    assert invoices.loc["INV-1", "dispute_date"] == pd.Timestamp("2024-02-09")  # its due date
    assert invoices.loc["INV-2", "disputed"]
    assert invoices.loc["INV-2", "dispute_date"] == pd.Timestamp("2024-02-01")
    assert not invoices.loc["INV-3", "disputed"]
    assert pd.isna(invoices.loc["INV-3", "dispute_date"])
    assert (
        "invoices.csv: 1 disputed invoices have no dispute_date; the dispute is treated as "
        "raised on the due date (dispute_date set to due_date)" in result.notes
    )
    assert (
        "invoices.csv: 1 invoices have a dispute_date but no disputed value; they are recorded "
        "as disputed" in result.notes
    )


def test_amounts_that_look_thousands_separated_get_a_note(sqlite_engine: Engine, tmp_path: Path):
    # Nothing else in the column tells the decimal mark, so '1.000' is read as one, and the
    # note now names the option that reads it as a thousand.
    files = edited([("invoices", 4, "amount", "1.000")], canary=False)

    result = ingest(sqlite_engine, IngestSources.from_dir(write_ledger(tmp_path, files)))

    assert (
        "invoices.csv: 1 amount value such as '1.000' (row 4) were read as 1.00 (decimal mark "
        "'.'); if that is wrong, pass --decimal ',' and ingest again" in result.notes
    )


def test_default_currency_must_be_an_iso_code():
    with pytest.raises(ValueError, match="currency must be an ISO 4217 code"):
        validate_frames({}, Ledger.empty(), currency="Euro")


def test_extra_columns_are_ignored_with_a_note(sqlite_engine: Engine, tmp_path: Path):
    files = copy.deepcopy(BASE)
    files["payments"] = [
        [*row, extra]
        for row, extra in zip(files["payments"], ["Bank", "DB", "DB", "HSBC"], strict=True)
    ]

    result = ingest(sqlite_engine, IngestSources.from_dir(write_ledger(tmp_path, files)))

    assert "payments.csv: ignored extra columns: Bank" in result.notes
    assert table_counts(sqlite_engine) == BASE_COUNTS
