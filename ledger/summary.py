"""A one-screen description of a ledger: what is in it, over which period, and how it pays.

This is a data summary for whoever just loaded a ledger ("did my export arrive whole?"); the
credit analysis proper (aging buckets, DSO, rules) lives in ``features``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from ledger.frames import Ledger


@dataclass(frozen=True)
class LedgerSummary:
    """Headline figures of a ledger as of a date."""

    as_of: date
    currency: str
    customers: int
    customers_with_invoices: int
    invoices: int
    payments: int
    orders: int
    first_invoice: date | None
    last_invoice: date | None
    invoiced_amount: float
    invoiced_last_12m: float
    open_invoices: int
    open_amount: float
    overdue_amount: float
    paid_invoices: int
    paid_late_share: float  # of fully paid invoices, share paid after the due date
    mean_days_late_paid: float  # over fully paid invoices, days after due (early = 0)
    disputed_invoices: int
    written_off_invoices: int
    written_off_amount: float
    customers_written_off: int
    open_orders_amount: float
    by_industry: pd.DataFrame  # customers, invoiced amount and open amount per industry
    credit_notes: int = 0
    credited_amount: float = 0.0  # what the credit notes credit (a positive sum)
    unapplied_credit: float = 0.0  # of it, what found no open invoice (ledger.credit_notes)

    def rows(self) -> list[tuple[str, str]]:
        """Label/value pairs for printing."""
        money = self.currency

        def m(x: float) -> str:
            return f"{money} {x:,.0f}"

        def d(x: date | None) -> str:
            return "—" if x is None else x.isoformat()

        return [
            ("As of", self.as_of.isoformat()),
            ("Customers (with invoices)", f"{self.customers:,} ({self.customers_with_invoices:,})"),
            ("Invoices", f"{self.invoices:,}  ({d(self.first_invoice)} to {d(self.last_invoice)})"),
            ("Payments", f"{self.payments:,}"),
            ("Orders", f"{self.orders:,}  (open: {m(self.open_orders_amount)})"),
            ("Invoiced, all time", m(self.invoiced_amount)),
            ("Invoiced, last 12 months", m(self.invoiced_last_12m)),
            ("Open invoices", f"{self.open_invoices:,}  ({m(self.open_amount)})"),
            (
                "Overdue",
                f"{m(self.overdue_amount)}  ({_share(self.overdue_amount, self.open_amount)}"
                " of open)",
            ),
            (
                "Paid after due date",
                f"{self.paid_late_share:.1%} of {self.paid_invoices:,} paid invoices",
            ),
            ("Mean days late (paid)", f"{self.mean_days_late_paid:.1f}"),
            ("Disputed invoices", f"{self.disputed_invoices:,}"),
            (
                "Credit notes",
                f"{self.credit_notes:,}  ({m(self.credited_amount)}; unapplied "
                f"{m(self.unapplied_credit)})",
            ),
            (
                "Written off",
                f"{self.written_off_invoices:,} invoices, {m(self.written_off_amount)}, "
                f"{self.customers_written_off:,} customers",
            ),
        ]


def _share(part: float, whole: float) -> str:
    return "—" if whole <= 0 else f"{part / whole:.1%}"


def summarise(ledger: Ledger, as_of: date | None = None, currency: str = "EUR") -> LedgerSummary:
    """Summarise ``ledger`` as of ``as_of`` (default: the last invoice or payment date).

    Only rows dated on or before ``as_of`` count, so a summary as of a past date shows the
    ledger as it stood then.
    """
    inv = ledger.invoices
    pay = ledger.payments
    if as_of is None:
        candidates = [inv["invoice_date"].max(), pay["payment_date"].max()]
        known = [c for c in candidates if pd.notna(c)]
        as_of = max(known).date() if known else date.today()
    t = pd.Timestamp(as_of)
    inv = inv[inv["invoice_date"] <= t]
    pay = pay[(pay["payment_date"] <= t) & pay["invoice_id"].isin(inv["invoice_id"])]
    # Credit notes applied by then lower open amounts and can settle invoices, like payments.
    credits = ledger.credit_allocation
    applied = credits.applied[credits.applied["date"] <= t]
    cleared = pd.concat(
        [
            pay[["invoice_id", "payment_date", "amount"]],
            applied.rename(columns={"date": "payment_date"})[
                ["invoice_id", "payment_date", "amount"]
            ],
        ]
    )
    notes = ledger.credit_notes[ledger.credit_notes["invoice_date"] <= t]

    paid = cleared.groupby("invoice_id")["amount"].sum().reindex(inv["invoice_id"]).fillna(0.0)
    amount = inv["amount"].to_numpy()
    paid_np = paid.to_numpy()
    written_off = (inv["written_off_date"] <= t).to_numpy()
    remaining = np.clip(amount - paid_np, 0.0, None)
    open_mask = (remaining > 0.005) & ~written_off
    overdue_mask = open_mask & (inv["due_date"] < t).to_numpy()
    fully_paid = paid_np >= amount - 0.005

    last_payment = cleared.groupby("invoice_id")["payment_date"].max().reindex(inv["invoice_id"])
    days_late = (last_payment.to_numpy() - inv["due_date"].to_numpy()) / np.timedelta64(1, "D")
    days_late_paid = days_late[fully_paid]
    wo = inv[written_off]

    by_industry = (
        pd.DataFrame(
            {
                "industry": inv["customer_id"].map(
                    ledger.customers.set_index("customer_id")["industry"]
                ),
                "invoiced": amount,
                "open": np.where(open_mask, remaining, 0.0),
            }
        )
        .fillna({"industry": "(unknown)"})
        .groupby("industry")
        .agg(invoiced=("invoiced", "sum"), open=("open", "sum"))
    )
    customer_counts = ledger.customers.fillna({"industry": "(unknown)"}).groupby("industry").size()
    by_industry.insert(0, "customers", customer_counts.reindex(by_industry.index).fillna(0))
    by_industry = by_industry.astype({"customers": "int64"}).sort_values(
        "invoiced", ascending=False
    )

    orders = ledger.orders
    open_orders = orders[(orders["status"] == "open") & (orders["order_date"] <= t)]
    return LedgerSummary(
        as_of=as_of,
        currency=currency,
        customers=len(ledger.customers),
        customers_with_invoices=int(inv["customer_id"].nunique()),
        invoices=len(inv),
        payments=len(pay),
        orders=int((orders["order_date"] <= t).sum()),
        first_invoice=None if inv.empty else inv["invoice_date"].min().date(),
        last_invoice=None if inv.empty else inv["invoice_date"].max().date(),
        invoiced_amount=float(amount.sum()),
        invoiced_last_12m=float(
            inv.loc[inv["invoice_date"] > t - pd.DateOffset(months=12), "amount"].sum()
        ),
        open_invoices=int(open_mask.sum()),
        open_amount=float(remaining[open_mask].sum()),
        overdue_amount=float(remaining[overdue_mask].sum()),
        paid_invoices=int(fully_paid.sum()),
        paid_late_share=float((days_late_paid > 0).mean()) if len(days_late_paid) else 0.0,
        mean_days_late_paid=float(np.clip(days_late_paid, 0, None).mean())
        if len(days_late_paid)
        else 0.0,
        disputed_invoices=int((inv["disputed"] & (inv["dispute_date"] <= t)).sum()),
        written_off_invoices=len(wo),
        written_off_amount=float(remaining[written_off].sum()),
        customers_written_off=int(wo["customer_id"].nunique()),
        open_orders_amount=float(open_orders["amount"].sum()),
        by_industry=by_industry,
        credit_notes=len(notes),
        credited_amount=float(-notes["amount"].sum()),
        unapplied_credit=float(
            credits.unapplied.loc[credits.unapplied["date"] <= t, "amount"].sum()
        ),
    )
