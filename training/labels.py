"""Outcome labels, computed from the full ledger (they look strictly after the as-of date).

Definitions (horizon, days and materiality come from the training policy):

* **Customer default** within ``horizon_months`` after T: some invoice of the customer reaches
  ``default_dpd`` days past due with more than ``materiality`` of it unpaid, or is written off,
  on a date in (T, T + horizon].  A customer whose first such event is on or before T is
  *already in default* at T and is left out of the sample.
* **Late payment** of an invoice: it is paid in full more than ``late_after_days`` after its due
  date, or is still not paid in full ``late_after_days`` after it (write-offs are late).
* **Days late**: days from due date to the date the invoice was paid in full (negative when paid
  early), for invoices that were paid in full.

Credit notes are never labelled (``Ledger.invoices`` holds none); one applied to an invoice
counts towards paying it in full on the credit's date (:mod:`ledger.credit_notes`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ledger.frames import Ledger

DAY = np.timedelta64(1, "D")


def settlement(ledger: Ledger, materiality: float = 0.01) -> pd.DataFrame:
    """One row per invoice with the date it was paid in full (NaT if never).

    "Paid in full" means the unpaid balance fell to at most ``materiality`` × amount: bank
    charges and rounding differences must not keep an invoice open forever.
    """
    inv = ledger.invoices
    # Credit notes applied to an invoice settle it like payments, on their own dates.
    applied = ledger.credit_allocation.applied
    pay = ledger.payments
    if not applied.empty:
        credits = applied.rename(columns={"date": "payment_date"})
        pay = pd.concat([pay[["invoice_id", "payment_date", "amount"]], credits], join="inner")
    out = inv[
        ["invoice_id", "customer_id", "invoice_date", "due_date", "amount", "written_off_date"]
    ].copy()
    if pay.empty:
        out["paid_full_date"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
        return out
    pay = pay[["invoice_id", "payment_date", "amount"]].sort_values(
        ["invoice_id", "payment_date"], kind="stable"
    )
    cumulative = pay.groupby("invoice_id", sort=False)["amount"].cumsum()
    amount = pay["invoice_id"].map(inv.set_index("invoice_id")["amount"])
    settled = pay[cumulative.to_numpy() >= amount.to_numpy() * (1.0 - materiality) - 1e-9]
    first_settled = settled.groupby("invoice_id", sort=False)["payment_date"].min()
    out["paid_full_date"] = (
        out["invoice_id"].map(first_settled).astype("datetime64[ns]").reset_index(drop=True)
    )
    return out


def default_events(
    ledger: Ledger, default_dpd: int = 90, materiality: float = 0.01
) -> pd.DataFrame:
    """Per invoice, the date it became a default event (NaT if it never did).

    An invoice defaults on ``due_date + default_dpd`` if it was not paid in full by then, or on
    its write-off date, whichever comes first.
    """
    s = settlement(ledger, materiality)
    reach = s["due_date"] + pd.Timedelta(days=default_dpd)
    unpaid_at_reach = s["paid_full_date"].isna() | (s["paid_full_date"] > reach)
    dpd_event = reach.where(unpaid_at_reach)
    event = pd.concat([dpd_event, s["written_off_date"]], axis=1).min(axis=1)
    return pd.DataFrame(
        {"invoice_id": s["invoice_id"], "customer_id": s["customer_id"], "event_date": event}
    )


def first_default_dates(
    ledger: Ledger, default_dpd: int = 90, materiality: float = 0.01
) -> pd.Series:
    """Customer id → date of the customer's first default event (NaT if none)."""
    events = default_events(ledger, default_dpd, materiality)
    first = events.groupby("customer_id")["event_date"].min()
    return first.reindex(ledger.customers["customer_id"]).astype("datetime64[ns]")


def default_labels(
    ledger: Ledger,
    as_of_dates: Sequence[pd.Timestamp],
    data_end: pd.Timestamp,
    horizon_months: int = 12,
    default_dpd: int = 90,
    materiality: float = 0.01,
) -> pd.DataFrame:
    """Default labels for every customer onboarded by each as-of date.

    Returns ``customer_id, as_of, defaulted, in_default, complete``: ``defaulted`` is 1 when the
    first default event falls in (T, T + horizon]; ``in_default`` marks customers already in
    default at T (to be excluded); ``complete`` is False when the label window runs past
    ``data_end`` and the label would be censored.
    """
    first = first_default_dates(ledger, default_dpd, materiality).to_numpy()
    ids = ledger.customers["customer_id"].to_numpy()
    onboarded = ledger.customers["onboarding_date"].to_numpy()
    frames = []
    for as_of in as_of_dates:
        t = pd.Timestamp(as_of)
        end = t + pd.DateOffset(months=horizon_months)
        active = ~(onboarded > t.to_datetime64())  # NaT onboarding: treat as active
        in_default = first <= t.to_datetime64()
        defaulted = (first > t.to_datetime64()) & (first <= end.to_datetime64())
        frames.append(
            pd.DataFrame(
                {
                    "customer_id": ids[active],
                    "as_of": t,
                    "defaulted": defaulted[active].astype("int8"),
                    "in_default": in_default[active],
                    "complete": end <= pd.Timestamp(data_end),
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=["customer_id", "as_of", "defaulted", "in_default", "complete"])
    return pd.concat(frames, ignore_index=True)


def late_payment_labels(
    ledger: Ledger,
    data_end: pd.Timestamp,
    late_after_days: int = 30,
    materiality: float = 0.01,
) -> pd.DataFrame:
    """Per invoice: ``late`` (0/1), ``days_late`` (float, NaN unless paid in full) and
    ``observable`` (the outcome is known by ``data_end``)."""
    s = settlement(ledger, materiality)
    cutoff = s["due_date"] + pd.Timedelta(days=late_after_days)
    paid = s["paid_full_date"]
    written_off = s["written_off_date"]
    late = (paid.isna() | (paid > cutoff)).astype("int8")
    # Known once paid on time, or once the cut-off (or a write-off) has passed within the data.
    observable = (paid.notna() & (paid <= cutoff)) | (cutoff <= data_end) | written_off.notna()
    days_late = ((paid - s["due_date"]).dt.days).astype("float64")
    return pd.DataFrame(
        {
            "invoice_id": s["invoice_id"],
            "customer_id": s["customer_id"],
            "invoice_date": s["invoice_date"],
            "late": late,
            "days_late": days_late,
            "observable": observable.to_numpy(),
        }
    )


def onboarding_labels(
    ledger: Ledger,
    data_start: pd.Timestamp,
    data_end: pd.Timestamp,
    horizon_months: int = 12,
    default_dpd: int = 90,
    materiality: float = 0.01,
) -> pd.DataFrame:
    """Customers onboarded inside the data window whose first ``horizon_months`` are fully
    observed, with ``defaulted`` = first default event within that time after onboarding."""
    first = first_default_dates(ledger, default_dpd, materiality)
    customers = ledger.customers
    onboarded = customers["onboarding_date"]
    window_end = onboarded + pd.DateOffset(months=horizon_months)
    eligible = (onboarded >= data_start) & (window_end <= data_end)
    first_np = first.to_numpy()
    defaulted = (first_np > onboarded.to_numpy()) & (first_np <= window_end.to_numpy())
    return pd.DataFrame(
        {
            "customer_id": customers["customer_id"][eligible].to_numpy(),
            "onboarding_date": onboarded[eligible].to_numpy(),
            "defaulted": defaulted[eligible.to_numpy()].astype("int8"),
        }
    )
