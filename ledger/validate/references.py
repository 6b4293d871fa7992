"""Rules across files and the database: references resolve, totals add up, currencies agree.

A row may reference this batch's other files or what is already stored; re-ingested rows
replace their stored versions, so each rule combines both before it judges. The rules judge the
invoices table as stored (``Ledger.invoice_rows``): credit notes are rows of it too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ledger.frames import Ledger
from ledger.validate.issues import IssueLog
from ledger.validate.lookups import by_id, combine, first_by_key, isin, lookup
from ledger.validate.table import Table

# Payments may exceed the invoice by rounding noise, not by a cent.
MONEY_TOLERANCE = 0.005


def _money(x: float) -> str:
    return f"{x:,.2f}"


def _day(x: pd.Timestamp) -> str:
    return x.date().isoformat()  # strftime drops leading zeros of years before 1000


def check_customer_refs(table: Table, known: pd.Index, issues: IssueLog, where: str) -> None:
    """Every customer_id is ``known``; ``where`` says where it was looked for."""
    if not table.has("customer_id"):
        return
    ids = table.value("customer_id")
    unknown = ids.notna().to_numpy() & ~isin(ids, known)
    issues.add(table, unknown, "customer_id", lambda p: f"customer {ids.iloc[p]} is not in {where}")


def check_payment_refs(pay: Table, inv: Table | None, existing: Ledger, issues: IssueLog) -> None:
    """Every payment names a known invoice and is not dated before it."""
    if not pay.has("invoice_id"):
        return
    invoice_ids = pay.value("invoice_id")
    file_ids = inv.value("invoice_id") if inv is not None else pd.Series([], dtype="str")
    known = pd.Index(existing.invoice_rows["invoice_id"]).append(pd.Index(file_ids.dropna()))
    unknown = invoice_ids.notna().to_numpy() & ~isin(invoice_ids, known)
    where = f"{inv.file} or the database" if inv is not None else "the database"
    issues.add(
        pay, unknown, "invoice_id", lambda p: f"invoice {invoice_ids.iloc[p]} is not in {where}"
    )
    if not pay.has("payment_date"):
        return
    dates = by_id(existing.invoice_rows, "invoice_id", "invoice_date")
    if inv is not None:
        dates = combine(first_by_key(file_ids, inv.value("invoice_date")), dates)
    invoice_date = lookup(invoice_ids, dates)
    early = (pay.value("payment_date") < invoice_date).fillna(False).to_numpy()
    issues.add(
        pay,
        early,
        "payment_date",
        lambda p: (
            f"payment_date {pay.as_read('payment_date', p)} is before the date of "
            f"invoice {invoice_ids.iloc[p]} ({_day(invoice_date.iloc[p])})"
        ),
    )


def check_paid_totals(
    pay: Table | None,
    inv: Table | None,
    existing: Ledger,
    stored_payments: pd.DataFrame,
    issues: IssueLog,
) -> None:
    """What is paid on an invoice never exceeds its amount.

    Paid = this file's payments + stored payments the file does not replace; amount = this
    file's invoice amount, else the stored one. Reported on the first payment row of the
    invoice, or — when only stored payments are involved — on the re-ingested invoice's row.
    """
    paid_file = pd.Series([], dtype="float64")
    if pay is not None and pay.has("invoice_id") and pay.has("amount"):
        rows = pd.DataFrame(
            {"invoice_id": pay.value("invoice_id"), "amount": pay.value("amount")}
        ).dropna()
        paid_file = rows.groupby("invoice_id", sort=False)["amount"].sum()
    file_ids = inv.value("invoice_id") if inv is not None else pd.Series([], dtype="str")
    if paid_file.empty and file_ids.isna().all():
        return
    relevant = stored_payments
    if not stored_payments.empty:
        touched = pd.Index(paid_file.index).append(pd.Index(file_ids.dropna()))
        relevant = stored_payments[isin(stored_payments["invoice_id"], touched)]
    paid_stored = relevant.groupby("invoice_id", sort=False)["amount"].sum()
    paid = paid_file.add(paid_stored, fill_value=0.0)
    amounts = by_id(existing.invoice_rows, "invoice_id", "amount")
    if inv is not None:
        amounts = combine(first_by_key(file_ids, inv.value("amount")), amounts)
    amount = amounts.reindex(paid.index)
    # Payments on a credit note are refused by check_payments_not_on_credit_notes.
    over = paid[((paid > amount + MONEY_TOLERANCE) & (amount > 0)).fillna(False)]
    if over.empty:
        return

    if pay is not None and not paid_file.empty:
        invoice_ids = pay.value("invoice_id")
        first_row = first_by_key(invoice_ids, pd.Series(np.arange(pay.n)))
        flagged = np.zeros(pay.n, dtype=bool)
        flagged[first_row.reindex(over.index.intersection(paid_file.index)).to_numpy("int64")] = (
            True
        )

        def payment_reason(p: int) -> str:
            invoice = invoice_ids.iloc[p]
            in_file = float(paid_file.get(invoice, 0.0))
            stored = float(paid_stored.get(invoice, 0.0))
            detail = f"{_money(in_file)} in {pay.file}"
            if stored:
                detail += f" and {_money(stored)} already stored"
            return (
                f"payments for invoice {invoice} add up to {_money(in_file + stored)} "
                f"({detail}), more than the invoice amount of {_money(amount[invoice])}"
            )

        issues.add(pay, flagged, "amount", payment_reason)

    if inv is not None:
        lowered = over.index.difference(paid_file.index)
        first_row = first_by_key(file_ids, pd.Series(np.arange(inv.n)))
        positions = first_row.reindex(lowered).dropna().to_numpy("int64")
        mask = np.zeros(inv.n, dtype=bool)
        mask[positions] = True
        issues.add(
            inv,
            mask,
            "amount",
            lambda p: (
                f"amount {inv.shown('amount', p)} is less than the "
                f"{_money(paid_stored[file_ids.iloc[p]])} already paid on this invoice"
            ),
        )


def check_stored_payments_before_invoice(
    inv: Table, stored_payments: pd.DataFrame, issues: IssueLog
) -> None:
    """A re-ingested invoice must not move after payments already stored for it."""
    if stored_payments.empty or not inv.has("invoice_date"):
        return
    ids = inv.value("invoice_id")
    relevant = stored_payments[isin(stored_payments["invoice_id"], ids.dropna())]
    earliest = relevant.groupby("invoice_id", sort=False)["payment_date"].min()
    first_paid = lookup(ids, earliest)
    late = (inv.value("invoice_date") > first_paid).fillna(False).to_numpy()
    issues.add(
        inv,
        late,
        "invoice_date",
        lambda p: (
            f"invoice_date {inv.as_read('invoice_date', p)} is after a payment of "
            f"{_day(first_paid.iloc[p])} already stored for this invoice"
        ),
    )


def check_invoice_currency(inv: Table, customer_currency: pd.Series, issues: IssueLog) -> None:
    """An invoice is in its customer's account currency: amounts are added up per customer."""
    if not inv.has("customer_id"):
        return
    ids = inv.value("customer_id")
    ours = inv.value("currency")
    theirs = lookup(ids, customer_currency)
    differs = (ours.notna() & theirs.notna() & (ours != theirs)).fillna(False).to_numpy()
    issues.add(
        inv,
        differs,
        "currency",
        lambda p: (
            f"currency {ours.iloc[p]} differs from customer {ids.iloc[p]}'s account "
            f"currency {theirs.iloc[p]}"
        ),
    )


def check_stored_invoice_currency(
    cust: Table, inv: Table | None, existing: Ledger, issues: IssueLog
) -> None:
    """A customer's currency may not change under invoices already stored in the old one."""
    if existing.invoice_rows.empty or not cust.has("customer_id"):
        return
    ids = cust.value("customer_id")
    new_currency = first_by_key(ids, cust.value("currency")).dropna()
    stored = existing.invoice_rows[isin(existing.invoice_rows["customer_id"], new_currency.index)]
    if inv is not None:
        stored = stored[~isin(stored["invoice_id"], inv.value("invoice_id").dropna())]
    if stored.empty:
        return
    wanted = new_currency.reindex(stored["customer_id"].to_numpy()).to_numpy()
    clash = stored[stored["currency"].to_numpy() != wanted].drop_duplicates("customer_id")
    example = clash.set_index("customer_id")
    mask = isin(ids, example.index) & cust.value("currency").notna().to_numpy()
    issues.add(
        cust,
        mask,
        "currency",
        lambda p: (
            f"currency {cust.value('currency').iloc[p]} differs from the currency of "
            f"invoices already stored for customer {ids.iloc[p]} (e.g. invoice "
            f"{example.at[ids.iloc[p], 'invoice_id']} in {example.at[ids.iloc[p], 'currency']})"
        ),
    )


def check_credit_note_refs(inv: Table, existing: Ledger, issues: IssueLog) -> None:
    """A ``reference_invoice_id`` names another invoice (not a credit note) of the same
    customer, in this file or the database: a credit note is netted against it."""
    if not inv.has("reference_invoice_id"):
        return
    refs = inv.value("reference_invoice_id")
    ids = inv.value("invoice_id")
    stored = existing.invoice_rows
    file_ids = ids
    owners = combine(
        first_by_key(file_ids, inv.value("customer_id")), by_id(stored, "invoice_id", "customer_id")
    )
    amounts = combine(
        first_by_key(file_ids, inv.value("amount")), by_id(stored, "invoice_id", "amount")
    )
    named = refs.notna().to_numpy()
    itself = named & (refs == ids).fillna(False).to_numpy()
    issues.add(
        inv,
        itself,
        "reference_invoice_id",
        lambda p: (
            f"reference_invoice_id {refs.iloc[p]} names this row itself; name the invoice "
            "the credit note credits, or leave it empty"
        ),
    )
    owner = lookup(refs, owners)
    unknown = named & ~itself & owner.isna().to_numpy()
    issues.add(
        inv,
        unknown,
        "reference_invoice_id",
        lambda p: f"reference_invoice_id {refs.iloc[p]} is not in {inv.file} or the database",
    )
    customer = inv.value("customer_id")
    other = named & ~itself & ~unknown & (owner != customer).fillna(False).to_numpy()
    issues.add(
        inv,
        other,
        "reference_invoice_id",
        lambda p: (
            f"reference_invoice_id {refs.iloc[p]} is an invoice of customer {owner.iloc[p]}, "
            f"not of {customer.iloc[p]}; a credit note is netted against its own customer's "
            "invoices"
        ),
    )
    ref_amount = lookup(refs, amounts)
    credit = named & ~itself & ~unknown & ~other & (ref_amount < 0).fillna(False).to_numpy()
    issues.add(
        inv,
        credit,
        "reference_invoice_id",
        lambda p: (
            f"reference_invoice_id {refs.iloc[p]} is a credit note itself "
            f"(amount {_money(float(ref_amount.iloc[p]))}); name the invoice it credits"
        ),
    )


def check_payments_not_on_credit_notes(
    pay: Table, inv: Table | None, existing: Ledger, issues: IssueLog
) -> None:
    """Payments are applied to invoices; a credit note (negative amount) is owed nothing."""
    if not pay.has("invoice_id"):
        return
    amounts = by_id(existing.invoice_rows, "invoice_id", "amount")
    if inv is not None:
        amounts = combine(first_by_key(inv.value("invoice_id"), inv.value("amount")), amounts)
    invoice_ids = pay.value("invoice_id")
    amount = lookup(invoice_ids, amounts)
    on_credit = (amount < 0).fillna(False).to_numpy()
    issues.add(
        pay,
        on_credit,
        "invoice_id",
        lambda p: (
            f"invoice {invoice_ids.iloc[p]} is a credit note (amount "
            f"{_money(float(amount.iloc[p]))}); payments are applied to invoices, and a credit "
            "note is netted against its invoice through reference_invoice_id"
        ),
    )


def check_no_payments_on_new_credit_notes(
    inv: Table, stored_payments: pd.DataFrame, issues: IssueLog
) -> None:
    """An invoice re-ingested with a negative amount becomes a credit note: refused while
    payments are stored for it (they would pay a credit note)."""
    if stored_payments.empty or not inv.has("amount"):
        return
    ids = inv.value("invoice_id")
    negative = (inv.value("amount") < 0).fillna(False).to_numpy()
    paid = stored_payments.groupby("invoice_id", sort=False)["amount"].sum()
    paid_on = lookup(ids, paid)
    clash = negative & paid_on.notna().to_numpy()
    issues.add(
        inv,
        clash,
        "amount",
        lambda p: (
            f"amount {inv.shown('amount', p)} would make invoice {ids.iloc[p]} a credit note, "
            f"but {_money(float(paid_on.iloc[p]))} of payments are stored for it; load the "
            "credit as a new line with its own id and reference_invoice_id "
            f"{ids.iloc[p]}"
        ),
    )
