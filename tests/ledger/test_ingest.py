"""Validated ingest: every rule reports file/row/column/reason and writes nothing; good files
load idempotently; column mappings, date formats and Parquet let an ERP export in unedited."""

from __future__ import annotations

import copy
import csv
import json
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, func, select

from ledger import tables
from ledger.frames import Ledger
from ledger.ingest import (
    IngestError,
    IngestResult,
    IngestSources,
    Issue,
    MappingError,
    ingest,
    read_mapping,
    validate_frames,
)
from ledger.storage import load_ledger, table_counts
from ledger.validate import COUNTRY_CODES

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
    for name in ("customers", "invoices", "payments", "orders"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_like=True)


def ingest_runs(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(tables.ingest_runs)).scalar()


@pytest.fixture
def seeded(sqlite_engine: Engine, tmp_path: Path) -> Engine:
    """A SQLite ledger already holding BASE."""
    ingest(sqlite_engine, IngestSources.from_dir(write_ledger(tmp_path / "base")))
    return sqlite_engine


def fail_without_writing(engine: Engine, folder: Path, **kwargs) -> IngestError:
    before, runs = snapshot(engine), ingest_runs(engine)
    with pytest.raises(IngestError) as caught:
        ingest(engine, IngestSources.from_dir(folder), **kwargs)
    assert_same_ledger(snapshot(engine), before)
    assert ingest_runs(engine) == runs
    return caught.value


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
# Each rule: a clear message at the right place, nothing written

RULES = [
    pytest.param(
        [("invoices", 3, "due_date", "2024-13-01")],
        ("invoices.csv", 3, "due_date"),
        "due_date '2024-13-01' is not a date in the expected format YYYY-MM-DD",
        id="unparsable-date",
    ),
    pytest.param(
        [("invoices", 4, "invoice_date", "0224-02-01")],
        ("invoices.csv", 4, "invoice_date"),
        "invoice_date 0224-02-01 is outside 1900–2100",
        id="date-typo-out-of-range",
    ),
    pytest.param(
        [("invoices", 2, "amount", "1.000,00")],
        ("invoices.csv", 2, "amount"),
        "amount '1.000,00' is not a number",
        id="unparsable-number",
    ),
    pytest.param(
        [("invoices", 2, "amount", "0")],
        ("invoices.csv", 2, "amount"),
        "amount 0 must be more than 0",
        id="zero-amount",
    ),
    pytest.param(
        [("payments", 4, "amount", "-100")],
        ("payments.csv", 4, "amount"),
        "amount -100 must be more than 0",
        id="negative-payment",
    ),
    pytest.param(
        [("orders", 2, "amount", "-1")],
        ("orders.csv", 2, "amount"),
        "amount -1 must be more than 0",
        id="negative-order",
    ),
    pytest.param(
        [("customers", 2, "credit_limit", "-500")],
        ("customers.csv", 2, "credit_limit"),
        "credit_limit -500 is negative",
        id="negative-credit-limit",
    ),
    pytest.param(
        [("customers", 3, "payment_terms_days", "30.5")],
        ("customers.csv", 3, "payment_terms_days"),
        "payment_terms_days 30.5 must be a whole number, 0 or more",
        id="fractional-terms",
    ),
    pytest.param(
        [("customers", 3, "payment_terms_days", "-30")],
        ("customers.csv", 3, "payment_terms_days"),
        "payment_terms_days -30 must be a whole number, 0 or more",
        id="negative-terms",
    ),
    pytest.param(
        [("customers", 2, "country", "UK")],
        ("customers.csv", 2, "country"),
        "country 'UK' is not an ISO 3166-1 two-letter country code (did you mean GB?)",
        id="bad-country",
    ),
    pytest.param(
        [("customers", 3, "currency", "EURO")],
        ("customers.csv", 3, "currency"),
        "currency 'EURO' is not a known ISO 4217 currency code",
        id="bad-currency",
    ),
    pytest.param(
        [("invoices", 3, "disputed", "maybe")],
        ("invoices.csv", 3, "disputed"),
        "disputed 'maybe' is not yes/no",
        id="bad-boolean",
    ),
    pytest.param(
        [("orders", 3, "status", "pending")],
        ("orders.csv", 3, "status"),
        "status 'pending' is not one of: open, invoiced, cancelled",
        id="bad-order-status",
    ),
    pytest.param(
        [("customers", 3, "name", "  ")],
        ("customers.csv", 3, "name"),
        "name is empty; it is required",
        id="required-value-empty",
    ),
    pytest.param(
        [("invoices", 4, "invoice_id", "INV-1")],
        ("invoices.csv", 4, "invoice_id"),
        "invoice_id INV-1 appears more than once (first on row 2)",
        id="duplicate-id",
    ),
    pytest.param(
        [("invoices", 3, "customer_id", "C999")],
        ("invoices.csv", 3, "customer_id"),
        "customer C999 is not in customers.csv or the database",
        id="unknown-invoice-customer",
    ),
    pytest.param(
        [("orders", 2, "customer_id", "C999")],
        ("orders.csv", 2, "customer_id"),
        "customer C999 is not in customers.csv or the database",
        id="unknown-order-customer",
    ),
    pytest.param(
        [("payments", 4, "invoice_id", "INV-404")],
        ("payments.csv", 4, "invoice_id"),
        "invoice INV-404 is not in invoices.csv or the database",
        id="unknown-invoice",
    ),
    pytest.param(
        [("invoices", 3, "due_date", "2024-01-11")],
        ("invoices.csv", 3, "due_date"),
        "due_date 2024-01-11 is before invoice_date 2024-01-12",
        id="due-before-invoice",
    ),
    pytest.param(
        [("payments", 2, "payment_date", "2024-01-09")],
        ("payments.csv", 2, "payment_date"),
        "payment_date 2024-01-09 is before the date of invoice INV-1 (2024-01-10)",
        id="payment-before-invoice",
    ),
    pytest.param(
        [("invoices", 2, "disputed", "yes"), ("invoices", 2, "dispute_date", "2024-01-01")],
        ("invoices.csv", 2, "dispute_date"),
        "dispute_date 2024-01-01 is before invoice_date 2024-01-10",
        id="dispute-before-invoice",
    ),
    pytest.param(
        [("invoices", 2, "written_off_date", "2023-12-31")],
        ("invoices.csv", 2, "written_off_date"),
        "written_off_date 2023-12-31 is before invoice_date 2024-01-10",
        id="write-off-before-invoice",
    ),
    pytest.param(
        [("invoices", 3, "paid_date", "2024-01-11")],
        ("invoices.csv", 3, "paid_date"),
        "paid_date 2024-01-11 is before invoice_date 2024-01-12",
        id="paid-before-invoice",
    ),
    pytest.param(
        [("invoices", 4, "dispute_date", "2024-02-10")],
        ("invoices.csv", 4, "dispute_date"),
        "dispute_date 2024-02-10 is given but disputed is 'no'",
        id="dispute-date-while-not-disputed",
    ),
    pytest.param(
        [("payments", 3, "amount", "400.01")],
        ("payments.csv", 2, "amount"),
        "payments for invoice INV-1 add up to 1,000.01 (1,000.01 in payments.csv), more than "
        "the invoice amount of 1,000.00",
        id="payments-exceed-invoice",
    ),
    pytest.param(
        [("invoices", 3, "currency", "USD")],
        ("invoices.csv", 3, "currency"),
        "currency USD differs from customer C002's account currency EUR",
        id="currency-differs-from-customer",
    ),
    pytest.param(
        [("payments", 4, "payment_id", "P-3#paid_date")],
        ("payments.csv", 4, "payment_id"),
        "payment_id must not end with '#paid_date'",
        id="reserved-payment-suffix",
    ),
]


@pytest.mark.parametrize(("edits", "where", "reason"), RULES)
def test_rule_is_reported_at_its_row_and_nothing_is_written(
    seeded: Engine, tmp_path: Path, edits, where, reason
):
    error = fail_without_writing(seeded, write_ledger(tmp_path / "bad", edited(edits)))

    assert error.total == 1, error.summary()
    (issue,) = error.issues
    assert (issue.file, issue.row, issue.column) == where
    assert reason in issue.reason
    assert str(issue).startswith(f"{where[0]}, row {where[1]}, column {where[2]}: ")


def test_rounding_noise_below_half_a_cent_is_not_an_overpayment(seeded: Engine, tmp_path: Path):
    files = edited([("payments", 3, "amount", "400.004")], canary=False)

    ingest(seeded, IngestSources.from_dir(write_ledger(tmp_path / "ok", files)))

    assert snapshot(seeded).payments.set_index("payment_id").loc["P-2", "amount"] == 400.004


def test_issue_value_is_the_cell_as_written(seeded: Engine, tmp_path: Path):
    error = fail_without_writing(
        seeded, write_ledger(tmp_path / "bad", edited([("invoices", 2, "amount", " 12,50 ")]))
    )

    assert error.issues[0].value == "12,50"


def test_every_duplicate_row_is_reported_naming_the_first(seeded: Engine, tmp_path: Path):
    files = edited([("payments", 3, "payment_id", "P-1"), ("payments", 4, "payment_id", "P-1")])

    error = fail_without_writing(seeded, write_ledger(tmp_path / "bad", files))

    dupes = [i for i in error.issues if "appears more than once" in i.reason]
    assert [(i.row, i.reason) for i in dupes] == [
        (3, "payment_id P-1 appears more than once (first on row 2)"),
        (4, "payment_id P-1 appears more than once (first on row 2)"),
    ]


def test_missing_required_column_is_a_file_level_issue_with_a_mapping_hint(
    seeded: Engine, tmp_path: Path
):
    files = edited([("invoices", 1, "due_date", "DueDate")])

    error = fail_without_writing(seeded, write_ledger(tmp_path / "bad", files))

    (issue,) = error.issues
    assert (issue.file, issue.row, issue.column) == ("invoices.csv", None, "due_date")
    assert issue.reason == (
        "missing required column due_date; the file has a column 'DueDate' — map it with "
        "due_date=DueDate"
    )


def test_payments_already_stored_count_towards_the_invoice_total(seeded: Engine, tmp_path: Path):
    folder = tmp_path / "more"
    invoices = write_csv(folder / "inv.csv", [BASE["invoices"][0], BASE["invoices"][3]])
    payments = write_csv(
        folder / "pay.csv", [BASE["payments"][0], ["P-4", "INV-1", "2024-03-01", "0.50"]]
    )
    before = snapshot(seeded)

    with pytest.raises(IngestError) as caught:
        ingest(seeded, IngestSources(customers=None, invoices=invoices, payments=payments))

    (issue,) = caught.value.issues
    assert (issue.file, issue.row, issue.column) == ("pay.csv", 2, "amount")
    assert issue.reason == (
        "payments for invoice INV-1 add up to 1,000.50 (0.50 in pay.csv and 1,000.00 already "
        "stored), more than the invoice amount of 1,000.00"
    )
    assert_same_ledger(snapshot(seeded), before)


def test_reingested_invoice_below_what_was_paid_is_refused(seeded: Engine, tmp_path: Path):
    invoices = write_csv(
        tmp_path / "inv.csv",
        [BASE["invoices"][0], ["INV-1", "C001", "2024-01-10", "2024-02-09", "900", "EUR"]],
    )

    with pytest.raises(IngestError) as caught:
        ingest(seeded, IngestSources(customers=None, invoices=invoices))

    (issue,) = caught.value.issues
    assert (issue.file, issue.row, issue.column) == ("inv.csv", 2, "amount")
    assert issue.reason == "amount 900 is less than the 1,000.00 already paid on this invoice"


def test_reingested_invoice_dated_after_its_stored_payment_is_refused(
    seeded: Engine, tmp_path: Path
):
    invoices = write_csv(
        tmp_path / "inv.csv",
        [BASE["invoices"][0][:6], ["INV-1", "C001", "2024-02-05", "2024-03-05", "1000", "EUR"]],
    )

    with pytest.raises(IngestError) as caught:
        ingest(seeded, IngestSources(customers=None, invoices=invoices))

    (issue,) = caught.value.issues
    assert (issue.row, issue.column) == (2, "invoice_date")
    assert issue.reason == (
        "invoice_date 2024-02-05 is after a payment of 2024-02-01 already stored for this invoice"
    )


def test_customer_currency_cannot_change_under_stored_invoices(seeded: Engine, tmp_path: Path):
    folder = tmp_path / "fx"
    customers = copy.deepcopy(BASE["customers"])
    customers[1][7] = "USD"
    write_csv(folder / "customers.csv", customers)
    write_csv(folder / "invoices.csv", [BASE["invoices"][0], BASE["invoices"][2]])

    error = fail_without_writing(seeded, folder)

    (issue,) = error.issues
    assert (issue.file, issue.row, issue.column) == ("customers.csv", 2, "currency")
    assert issue.reason == (
        "currency USD differs from the currency of invoices already stored for customer C001 "
        "(e.g. invoice INV-1 in EUR)"
    )


def test_more_than_max_issues_lists_the_first_in_file_then_row_order(
    sqlite_engine: Engine, tmp_path: Path
):
    files = copy.deepcopy(BASE)
    files["customers"][2][2] = "XX"  # one problem in customers.csv, row 3
    for i in range(60):  # sixty problems in invoices.csv
        files["invoices"].append(
            [f"N{i:03d}", "C001", "2024-01-10", "2024-02-09", "-1", "EUR", "no", "", "", ""]
        )
    folder = write_ledger(tmp_path, files)

    error = fail_without_writing(sqlite_engine, folder)
    assert error.total == 61
    assert len(error.issues) == 50
    assert (error.issues[0].file, error.issues[0].row) == ("customers.csv", 3)
    assert [i.row for i in error.issues[1:]] == list(range(5, 54))
    assert "… and 11 more (the first 50 are listed)." in str(error)

    small = fail_without_writing(sqlite_engine, folder, max_issues=3)
    assert (small.total, len(small.issues)) == (61, 3)
    assert table_counts(sqlite_engine) == dict.fromkeys(BASE_COUNTS, 0)


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
    files = edited([("invoices", 4, "amount", "1.000")], canary=False)

    result = ingest(sqlite_engine, IngestSources.from_dir(write_ledger(tmp_path, files)))

    assert (
        "invoices.csv: 1 amount values have exactly three decimals (e.g. '1.000' on row 4), read "
        "as decimals; if '.' separates thousands in this export, remove the separators and "
        "ingest again" in result.notes
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


# ---------------------------------------------------------------------------------------------
# ERP exports: mappings, date formats, delimiters, Parquet

ERP_INVOICES: Table = [
    ["InvoiceNo", "CustNo", "DocDate", "DueDate", "Gross", "Curr", "InDispute", "Branch"],
    ["000123", "00042", "01/15/2024", "02/14/2024", "1200.50", "usd", "Yes", "East"],
    ["000124", "00042", "02/01/2024", "03/02/2024", "99", "USD", "no", "East"],
]
ERP_ITEMS = [
    "invoice_id=InvoiceNo",
    "customer_id=CustNo",
    "invoice_date=DocDate",
    "due_date=DueDate",
    "amount=Gross",
    "currency=Curr",
    "disputed=InDispute",
]


def assert_erp_export_loaded(engine: Engine) -> None:
    invoices = snapshot(engine).invoices.set_index("invoice_id")
    assert list(invoices.index) == ["000123", "000124"]
    first = invoices.loc["000123"]
    assert first["customer_id"] == "00042"
    assert first["invoice_date"] == pd.Timestamp("2024-01-15")
    assert first["due_date"] == pd.Timestamp("2024-02-14")
    assert first["amount"] == 1200.50
    assert first["currency"] == "USD"
    assert first["disputed"]
    assert first["dispute_date"] == pd.Timestamp("2024-02-14")
    assert not invoices.loc["000124", "disputed"]
    assert snapshot(engine).customers["customer_id"].tolist() == ["00042"]


def test_erp_export_loads_with_cli_mapping_and_us_dates(engine: Engine, tmp_path: Path):
    export = write_csv(tmp_path / "AR_open_items.csv", ERP_INVOICES)

    result = ingest(
        engine,
        IngestSources(customers=None, invoices=export),
        mapping=read_mapping(ERP_ITEMS, None),
        date_format="%m/%d/%Y",
    )

    assert_erp_export_loaded(engine)
    assert "AR_open_items.csv: ignored extra columns: Branch" in result.notes


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_erp_export_loads_with_a_mapping_file(sqlite_engine: Engine, tmp_path: Path, suffix):
    export = write_csv(tmp_path / "export.csv", ERP_INVOICES)
    content = {
        "invoice_id": "InvoiceNo",
        "invoices": {
            "customer_id": "CustNo",
            "invoice_date": "DocDate",
            "due_date": "DueDate",
            "amount": "Gross",
            "currency": "Curr",
            "disputed": "InDispute",
        },
    }
    mapping_file = tmp_path / f"erp.{suffix}"
    if suffix == "json":
        mapping_file.write_text(json.dumps(content))
    else:
        mapping_file.write_text(
            "invoice_id: InvoiceNo\ninvoices:\n"
            + "".join(f"  {k}: {v}\n" for k, v in content["invoices"].items())
        )

    ingest(
        sqlite_engine,
        IngestSources(customers=None, invoices=export),
        mapping=read_mapping([], mapping_file),
        date_format="%m/%d/%Y",
    )

    assert_erp_export_loaded(sqlite_engine)


def test_wrong_date_format_names_the_expected_format(sqlite_engine: Engine, tmp_path: Path):
    export = write_csv(tmp_path / "export.csv", ERP_INVOICES)

    with pytest.raises(IngestError) as caught:
        ingest(
            sqlite_engine,
            IngestSources(customers=None, invoices=export),
            mapping=read_mapping(ERP_ITEMS, None),
            date_format="%d/%m/%Y",
        )

    assert caught.value.issues[0] == Issue(
        "export.csv",
        2,
        "invoice_date",
        "01/15/2024",
        "invoice_date '01/15/2024' is not a date in the expected format '%d/%m/%Y'",
    )


def test_mapping_to_a_column_the_file_lacks_says_so(sqlite_engine: Engine, tmp_path: Path):
    export = write_csv(tmp_path / "export.csv", ERP_INVOICES)
    items = [i.replace("DueDate", "DueDt") for i in ERP_ITEMS]

    with pytest.raises(IngestError) as caught:
        ingest(
            sqlite_engine,
            IngestSources(customers=None, invoices=export),
            mapping=read_mapping(items, None),
            date_format="%m/%d/%Y",
        )

    assert [(i.row, i.column, i.reason) for i in caught.value.issues] == [
        (
            None,
            "due_date",
            "missing required column due_date: it is mapped to 'DueDt', which is not a column "
            "of this file",
        )
    ]


def test_mapping_naming_no_column_of_any_file_is_noted(sqlite_engine: Engine, tmp_path: Path):
    folder = write_ledger(tmp_path)
    mapping = read_mapping(["due_date=DueDt", "payments.amount=Betrag"])

    result = ingest(sqlite_engine, IngestSources.from_dir(folder), mapping=mapping)

    assert "column mapping due_date=DueDt was not used: no file has a column 'DueDt'" in (
        result.notes
    )
    assert (
        "column mapping payments.amount=Betrag was not used: payments.csv has no column 'Betrag'"
        in result.notes
    )


def test_entity_specific_mapping_items_apply_to_that_file_only():
    mapping = read_mapping(["invoice_id=InvoiceNo", "payments.invoice_id=InvoiceRef"])

    assert mapping.for_entity("invoices") == {"invoice_id": "InvoiceNo"}
    assert mapping.for_entity("payments") == {"invoice_id": "InvoiceRef"}


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["invoice_no=InvoiceNo"], "'invoice_no' is not an arscore column"),
        (["invoice_id"], "is not of the form ours=theirs"),
        (["invoice_id="], "is not of the form ours=theirs"),
        (["bills.invoice_id=X"], "'bills' is not one of customers, invoices, payments, orders"),
        (["orders.due_date=X"], "orders has no column 'due_date'"),
    ],
)
def test_unusable_mapping_item_is_refused_clearly(items, message):
    with pytest.raises(MappingError, match=message):
        read_mapping(items)


def test_semicolon_separated_csv_with_bom_and_blank_lines_keeps_row_numbers(
    sqlite_engine: Engine, tmp_path: Path
):
    folder = tmp_path / "eu"
    write_csv(folder / "customers.csv", BASE["customers"], delimiter=";")
    text = "\ufeff" + "\n".join(";".join(r) for r in BASE["invoices"][:3]) + "\n\n;;;;;;;;;\n"
    text += ";".join(["INV-3", "C001", "2024-02-01", "2024-01-01", "400", "EUR", "", "", "", ""])
    (folder / "invoices.csv").write_text(text + "\n", encoding="utf-8")

    with pytest.raises(IngestError) as caught:
        ingest(sqlite_engine, IngestSources.from_dir(folder))

    (issue,) = caught.value.issues
    assert (issue.file, issue.row, issue.column) == ("invoices.csv", 6, "due_date")


def test_blank_rows_are_skipped_with_a_note(sqlite_engine: Engine, tmp_path: Path):
    folder = write_ledger(tmp_path)
    with (folder / "payments.csv").open("a") as handle:
        handle.write(",,,\n\n")

    result = ingest(sqlite_engine, IngestSources.from_dir(folder))

    assert "payments.csv: skipped 2 empty rows" in result.notes
    assert table_counts(sqlite_engine) == BASE_COUNTS


def test_parquet_with_typed_columns_loads_and_reports_record_numbers(
    engine: Engine, tmp_path: Path
):
    folder = tmp_path / "pq"
    write_csv(folder / "customers.csv", BASE["customers"])
    invoices = pa.table(
        {
            "invoice_id": ["INV-1", "INV-2"],
            "customer_id": ["C001", "C002"],
            "invoice_date": pa.array([date(2024, 1, 10), date(2024, 1, 12)], pa.date32()),
            "due_date": pa.array([date(2024, 2, 9), date(2024, 3, 12)], pa.date32()),
            "amount": [1000.0, 250.5],
            "disputed": pa.array([False, None], pa.bool_()),
        }
    )
    pq.write_table(invoices, folder / "invoices.parquet")
    payments = pa.table(
        {
            "payment_id": [1, 2],  # integer ids become text
            "invoice_id": ["INV-1", "INV-2"],
            "payment_date": ["2024-02-01", "2024-03-01"],
            "amount": [1000, 100],
        }
    )
    pq.write_table(payments, folder / "payments.parquet")

    ingest(engine, IngestSources.from_dir(folder))

    stored = snapshot(engine)
    assert stored.payments["payment_id"].tolist() == ["1", "2"]
    assert stored.invoices.set_index("invoice_id").loc["INV-2", "due_date"] == pd.Timestamp(
        "2024-03-12"
    )
    assert stored.invoices["disputed"].tolist() == [False, False]

    bad = payments.set_column(3, "amount", pa.array([1000, -3]))
    pq.write_table(bad, folder / "payments.parquet")
    with pytest.raises(IngestError) as caught:
        ingest(engine, IngestSources.from_dir(folder))
    (issue,) = caught.value.issues
    assert (issue.file, issue.row, issue.column) == ("payments.parquet", 2, "amount")


# ---------------------------------------------------------------------------------------------
# Files that cannot be read at all


def test_folder_without_invoices_is_refused(tmp_path: Path):
    write_csv(tmp_path / "customers.csv", BASE["customers"])

    with pytest.raises(IngestError, match=r"no invoices file found: expected invoices\.csv"):
        IngestSources.from_dir(tmp_path)


def test_unreadable_files_are_all_reported(sqlite_engine: Engine, tmp_path: Path):
    invoices = write_csv(tmp_path / "invoices.csv", [*BASE["invoices"], ["INV-4", "C1", "x"] * 4])
    payments = tmp_path / "payments.csv"
    payments.write_bytes("payment_id,invoice_id\nZ\xfcrich,1\n".encode("latin-1"))
    orders = tmp_path / "orders.xlsx"
    orders.write_bytes(b"PK")

    with pytest.raises(IngestError) as caught:
        ingest(
            sqlite_engine,
            IngestSources(customers=None, invoices=invoices, payments=payments, orders=orders),
        )

    reasons = {i.file: (i.row, i.reason) for i in caught.value.issues}
    assert reasons["invoices.csv"][0] == 5
    assert "Expected 10 fields in line 5, saw 12" in reasons["invoices.csv"][1]
    assert "is not UTF-8 text" in reasons["payments.csv"][1]
    assert "unsupported file type '.xlsx'" in reasons["orders.xlsx"][1]
    assert table_counts(sqlite_engine) == dict.fromkeys(BASE_COUNTS, 0)


# ---------------------------------------------------------------------------------------------
# The pure part, as the API's bulk upsert will use it


def test_validate_frames_checks_json_like_rows_without_files():
    rows = pd.DataFrame(
        [
            {
                "invoice_id": 17,
                "customer_id": "C1",
                "invoice_date": "2024-01-10",
                "due_date": "2024-02-09",
                "amount": 120.5,
                "disputed": True,
            },
            {
                "invoice_id": 18,
                "customer_id": "C1",
                "invoice_date": "2024-01-10",
                "due_date": "2024-01-09",
                "amount": 1,
                "disputed": None,
            },
        ],
        index=[1, 2],
    )

    with pytest.raises(IngestError) as caught:
        validate_frames({"invoices": rows}, Ledger.empty(), file_names={"invoices": "request"})
    assert [str(i) for i in caught.value.issues] == [
        "request, row 2, column due_date: due_date 2024-01-09 is before invoice_date 2024-01-10"
    ]

    notes: list[str] = []
    frames = validate_frames({"invoices": rows.iloc[:1]}, Ledger.empty(), notes=notes)
    assert frames["invoices"]["invoice_id"].tolist() == ["17"]
    assert frames["invoices"]["dispute_date"].tolist() == [pd.Timestamp("2024-02-09")]
    assert frames["customers"]["customer_id"].tolist() == ["C1"]
    assert str(frames["invoices"]["invoice_date"].dtype) == "datetime64[ns]"


def test_typed_dates_are_range_checked_like_text_dates():
    rows = pd.DataFrame(
        {
            "invoice_id": ["A", "B"],
            "customer_id": ["C1", "C1"],
            "invoice_date": [date(224, 2, 1), date(2024, 2, 1)],
            "due_date": [date(2024, 3, 1), None],
            "amount": [10.0, 20.0],
        },
        index=[1, 2],
    )

    with pytest.raises(IngestError) as caught:
        validate_frames({"invoices": rows}, Ledger.empty())

    assert [(i.row, i.column, i.value, i.reason) for i in caught.value.issues] == [
        (
            1,
            "invoice_date",
            "0224-02-01",
            "invoice_date 0224-02-01 is outside 1900–2100; probably a typo",
        ),
        (2, "due_date", None, "due_date is empty; it is required"),
    ]


def test_country_list_holds_every_iso_3166_alpha2_code():
    assert len(COUNTRY_CODES - {"XK"}) == 249
    assert {"DE", "GB", "US", "CN", "SS", "BQ"} <= COUNTRY_CODES
    assert "UK" not in COUNTRY_CODES
