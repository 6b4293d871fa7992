"""Invoice-level scores: the collector's view of open invoices, and the typical next invoice
on which a customer's late-payment probability is predicted."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from features.aging import aged_invoices
from features.customer import AsOf
from features.invoice import build_invoice_features
from features.ledger_arrays import LedgerArrays, from_day, to_day
from features.registry import INVOICE_FEATURES
from ledger.frames import Ledger
from models.scoring.common import ScoringModels, ScoringPolicy, prepare


def next_invoice_frame(features: pd.DataFrame, as_of_day: int) -> pd.DataFrame:
    """A typical next invoice per customer, issued at ``as_of`` on the customer's standard
    terms for its usual amount: what "the next invoice is paid late" is predicted on."""
    terms = features["payment_terms_days"].to_numpy(dtype=float)
    amount = features["invoice_amount_mean_12m"].to_numpy(dtype=float)
    month = from_day(as_of_day).month
    own = pd.DataFrame(
        {
            "invoice_amount": amount,
            "invoice_terms_days": terms,
            "invoice_relative_size": np.where(np.isfinite(amount), 1.0, np.nan),
            "invoice_month": float(month),
            "invoice_days_since_issue": 0.0,
            "invoice_days_to_due": terms,
            "invoice_open_share": 1.0,
            "invoice_disputed": 0.0,
        },
        index=features.index,
    )
    return pd.concat([own[list(INVOICE_FEATURES)], features], axis=1)


def score_open_invoices(
    ledger: Ledger,
    as_of: AsOf,
    models: ScoringModels,
    policy: ScoringPolicy,
    *,
    customer_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The collector's view: every open invoice with days overdue, collection step, the
    probability it is paid late, expected days late and expected payment date.

    Late payment is predicted on the invoice as it stands at ``as_of`` (its age, days to due,
    share still open), with its customer's features at ``as_of``.
    """
    if customer_ids is not None:
        arrays = prepare(ledger, customer_ids)
        ledger = ledger.for_customers(list(dict.fromkeys(customer_ids)))
    else:
        arrays = LedgerArrays.from_ledger(ledger)
    t = to_day(as_of)
    aged = aged_invoices(arrays, from_day(t), policy.rules)
    invoices = aged[aged["status"] == "open"]
    view = invoices[
        ["customer_id", "invoice_date", "due_date", "amount", "open_amount", "days_overdue"]
    ].copy()
    view["bucket"] = invoices["bucket"]
    view["disputed"] = invoices["disputed"]
    view["collection_step"] = invoices["collection_step"]
    view["collection_action"] = invoices["collection_action"]
    view["late_payment_probability"] = np.nan
    view["expected_days_late"] = np.nan
    if len(view) and (models.late_payment is not None or models.days_late is not None):
        frame = build_invoice_features(
            ledger, from_day(t), invoice_ids=view.index, policy=policy.rules
        )
        if models.late_payment is not None:
            # A bundle reads its own columns (FeatureSchema.to_matrix ignores the others):
            # no copy of the frame per model.
            view["late_payment_probability"] = models.late_payment.predict_pd(frame)
        if models.days_late is not None:
            view["expected_days_late"] = models.days_late.predict(frame)
    view["expected_payment_date"] = expected_payment_dates(
        view["due_date"], view["expected_days_late"], from_day(t)
    )
    return view


def expected_payment_dates(
    due_dates: pd.Series, expected_days_late: pd.Series, as_of: pd.Timestamp
) -> pd.Series:
    """When each open invoice is expected to be paid: its due date plus the expected days late
    (rounded; negative for early payers, so before the due date), but never before ``as_of``:
    an invoice still open at ``as_of`` was not paid earlier. Missing where days late are."""
    days = pd.to_timedelta(expected_days_late.round(), unit="D")
    expected = due_dates + days
    return expected.where(expected.isna() | (expected >= as_of), as_of)
