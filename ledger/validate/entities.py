"""Rules within one entity file: duplicate keys, and each entity's own row rules and defaults.

Each rule sees one :class:`Table` only (customers, invoices or payments); rules that need
another file or the database are in :mod:`ledger.validate.references`.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from ledger.schema import IMPLIED_PAYMENT_SUFFIX
from ledger.validate.issues import IssueLog
from ledger.validate.lookups import isin
from ledger.validate.table import Table


def check_duplicates(table: Table, issues: IssueLog) -> None:
    """Each key once per file; every repeat is reported, naming the first row."""
    key = table.entity.key
    if not table.has(key):
        return
    ids = table.value(key)
    dup = (ids.duplicated(keep="first") & ids.notna()).to_numpy()
    if not dup.any():
        return
    repeated = ids[isin(ids, ids[dup])]
    first_position = pd.Series(
        repeated.drop_duplicates(keep="first").index, index=repeated.drop_duplicates().to_numpy()
    )
    rows = table.rows
    issues.add(
        table,
        dup,
        key,
        lambda p: (
            f"{key} {ids.iloc[p]} appears more than once "
            f"(first on row {rows[first_position[ids.iloc[p]]]})"
        ),
    )


def check_customers(table: Table, issues: IssueLog) -> None:
    """A credit limit is 0 or more (empty means no limit)."""
    limit = table.value("credit_limit")
    if table.has("credit_limit"):
        negative = (limit < 0).fillna(False).to_numpy()
        issues.add(
            table,
            negative,
            "credit_limit",
            lambda p: (
                f"credit_limit {table.shown('credit_limit', p)} is negative; use 0 for "
                "no credit or leave it empty when there is no limit"
            ),
        )


def check_invoices(table: Table, issues: IssueLog) -> None:
    """No date before the invoice date; a dispute date only on a disputed invoice."""
    issued = table.value("invoice_date")
    if not table.has("invoice_date"):
        return
    for column, label in (
        ("due_date", "due_date"),
        ("dispute_date", "dispute_date"),
        ("written_off_date", "written_off_date"),
        ("paid_date", "paid_date"),
    ):
        if not table.has(column):
            continue
        before = (table.value(column) < issued).fillna(False).to_numpy()
        issues.add(
            table,
            before,
            column,
            _before_issue_message(table, column, label),
        )
    if table.has("dispute_date") and table.has("disputed"):
        said_no = (table.value("disputed") == False).fillna(False).to_numpy()  # noqa: E712
        contradiction = said_no & table.value("dispute_date").notna().to_numpy()
        issues.add(
            table,
            contradiction,
            "dispute_date",
            lambda p: (
                f"dispute_date {table.shown('dispute_date', p)} is given but disputed is "
                f"{table.shown('disputed', p)!r}; set disputed to yes or clear the date"
            ),
        )


def check_payments(table: Table, issues: IssueLog) -> None:
    """Payment ids keep clear of the suffix reserved for implied payments."""
    if not table.has("payment_id"):
        return
    reserved = table.value("payment_id").str.endswith(IMPLIED_PAYMENT_SUFFIX).fillna(False)
    issues.add(
        table,
        reserved.to_numpy(),
        "payment_id",
        lambda p: (
            f"payment_id must not end with {IMPLIED_PAYMENT_SUFFIX!r}: that suffix is "
            "reserved for the payments implied by an invoice's paid_date"
        ),
    )


def fill_currency(table: Table, currency: str, notes: list[str]) -> None:
    """Rows without a currency get the ledger currency — said out loud in a note."""
    if not table.has("currency"):
        table.values["currency"] = pd.Series([currency] * table.n, dtype="str")
        notes.append(
            f"{table.file}: no currency column; used {currency} (the ARSCORE_CURRENCY setting) "
            "for every row"
        )
        return
    values = table.values["currency"]
    empty = values.isna().to_numpy() & ~table.bad["currency"]
    if empty.any():
        table.values["currency"] = values.where(~empty, currency)
        notes.append(
            f"{table.file}: currency empty on {int(empty.sum()):,} rows; used {currency} "
            "(the ARSCORE_CURRENCY setting)"
        )


def _before_issue_message(table: Table, column: str, label: str) -> Callable[[int], str]:
    """The message for a date before its invoice's issue date, at a row position."""
    return lambda p: (
        f"{label} {table.as_read(column, p)} is before invoice_date "
        f"{table.as_read('invoice_date', p)}"
    )
