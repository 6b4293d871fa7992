"""Each ingest rule reports file/row/column/reason and writes nothing; issue listing
order and limits."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ledger.ingest import IngestError, IngestSources, ingest
from ledger.storage import table_counts

from .ingest_files import (
    BASE,
    BASE_COUNTS,
    assert_same_ledger,
    edited,
    fail_without_writing,
    snapshot,
    write_csv,
    write_ledger,
)

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


def test_duplicate_rows_are_one_issue_naming_each_first_row(seeded: Engine, tmp_path: Path):
    # One issue per rule and column (it was one per row), each example naming its first row.
    files = edited([("payments", 3, "payment_id", "P-1"), ("payments", 4, "payment_id", "P-1")])

    error = fail_without_writing(seeded, write_ledger(tmp_path / "bad", files))

    dupes = [i for i in error.issues if "appears more than once" in i.reason]
    assert [(i.row, i.count, i.reason) for i in dupes] == [
        (
            3,
            2,
            "2 rows break this rule — first row 3: payment_id P-1 appears more than once (first "
            "on row 2); row 4: payment_id P-1 appears more than once (first on row 2)",
        )
    ]
    assert str(dupes[0]).startswith("payments.csv, 2 rows, column payment_id: 2 rows")


def test_missing_required_column_is_a_file_level_issue_with_a_mapping_hint(
    seeded: Engine, tmp_path: Path
):
    files = edited([("invoices", 1, "due_date", "DueDate")])

    error = fail_without_writing(seeded, write_ledger(tmp_path / "bad", files))

    (issue,) = error.issues
    assert (issue.file, issue.row, issue.column) == ("invoices.csv", None, "due_date")
    assert issue.reason == (
        "missing required column due_date; the file has a column 'DueDate' — map it with "
        "--map due_date=DueDate"
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


def test_a_rule_broken_on_many_rows_is_one_issue_with_a_count_and_examples(
    sqlite_engine: Engine, tmp_path: Path
):
    # Pinned on purpose: sixty bad amounts used to be sixty issues (fifty listed); now a rule
    # broken in a column is one problem with its count and the first three rows.
    files = copy.deepcopy(BASE)
    files["customers"][2][2] = "XX"  # one problem in customers.csv, row 3
    for i in range(60):  # sixty rows breaking one rule in invoices.csv (-1 is a credit note)
        files["invoices"].append(
            [f"N{i:03d}", "C001", "2024-01-10", "2024-02-09", "0", "EUR", "no", "", "", ""]
        )
    folder = write_ledger(tmp_path, files)

    error = fail_without_writing(sqlite_engine, folder)
    assert error.total == 2
    country, amount = error.issues
    assert (country.file, country.row, country.count) == ("customers.csv", 3, 1)
    assert (amount.file, amount.row, amount.column, amount.count) == (
        "invoices.csv",
        5,
        "amount",
        60,
    )
    assert amount.reason == (
        "amount must be more than 0 (or less than 0 for a credit note) — 60 rows, first row 5: "
        "'0'; row 6: '0'; row 7: '0' …"
    )

    small = fail_without_writing(sqlite_engine, folder, max_issues=1)
    assert (small.total, len(small.issues)) == (2, 1)
    assert "… and 1 more (the first 1 are listed)." in str(small)
    assert table_counts(sqlite_engine) == dict.fromkeys(BASE_COUNTS, 0)
