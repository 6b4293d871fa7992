"""Payment behaviour over time for the customer page: the amount-weighted average days late of
the invoices settled in each month, counting only payments made by ``as_of``."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ledger.frames import Ledger


def days_late_by_month(
    ledger: Ledger, as_of: dt.date, months: int = 12
) -> list[tuple[dt.date, float | None]]:
    """``(month start, average days late)`` for the ``months`` months up to ``as_of``; None
    for a month with no invoice settled. An invoice is settled on the day its payments (made
    by ``as_of``) reach its amount, or on its ``paid_date`` when the ledger gives only that."""
    end = pd.Timestamp(as_of)
    firsts = pd.date_range(end=end.to_period("M").to_timestamp(), periods=months, freq="MS")
    invoices = ledger.invoices
    payments = ledger.payments[ledger.payments["payment_date"] <= end]
    settled_on = pd.Series(pd.NaT, index=invoices.index, dtype="datetime64[ns]")
    if len(payments):
        paid = payments.sort_values("payment_date").copy()
        paid["cumulative"] = paid.groupby("invoice_id")["amount"].cumsum()
        amounts = invoices.set_index("invoice_id")["amount"]
        paid = paid[paid["cumulative"] >= paid["invoice_id"].map(amounts) - 0.005]
        first = paid.groupby("invoice_id")["payment_date"].min()
        settled_on = invoices["invoice_id"].map(first).astype("datetime64[ns]")
    if "paid_date" in invoices:
        paid_dates = pd.to_datetime(invoices["paid_date"])
        settled_on = settled_on.fillna(paid_dates.where(paid_dates <= end))
    frame = pd.DataFrame(
        {
            "settled": settled_on,
            "late": (settled_on - pd.to_datetime(invoices["due_date"])).dt.days,
            "amount": invoices["amount"].astype(float),
        }
    ).dropna(subset=["settled"])
    frame = frame[frame["settled"] >= firsts[0]]
    frame["month"] = frame["settled"].dt.to_period("M").dt.to_timestamp()
    out: list[tuple[dt.date, float | None]] = []
    for month in firsts:
        rows = frame[frame["month"] == month]
        weight = rows["amount"].sum()
        value = float(np.average(rows["late"], weights=rows["amount"])) if weight > 0 else None
        out.append((month.date(), value))
    return out
