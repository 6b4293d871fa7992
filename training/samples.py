"""Training samples from a ledger: features as of T joined to labels that look after T.

* **Default PD**: monthly snapshots (month ends). At each T every customer onboarded by T with
  at least one invoice by T and not already in default; features as of T, label = default in
  (T, T + horizon]. Only snapshots whose label window ends by the data end are used.
* **Late payment / days late**: every invoice, with its features at its own invoice date
  (customer features from the latest month-start snapshot before it) and its outcome, where the
  outcome is known by the data end.
* **Onboarding PD**: customers onboarded inside the data window with a full first year, described
  only by what an applicant provides (profile, industry, country, terms).

Every sample holds only the registry's model inputs: features a model may not learn from
(``model_input=False``, the approved credit limit and what is computed from it) are left out
here, so a new rule-only feature cannot slip into a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.customer import customer_features_at
from features.invoice import build_invoice_features_at_issue
from features.ledger_arrays import LedgerArrays, to_day
from features.policy import RulesPolicy
from features.registry import CUSTOMER_FEATURES, INVOICE_FEATURES, model_inputs
from ledger.frames import Ledger
from models.tasks import Task
from training.labels import default_labels, late_payment_labels, onboarding_labels
from training.policy import TrainingPolicy

# What an applicant can tell us before there is any payment history.
ONBOARDING_FEATURES: tuple[str, ...] = (
    "industry",
    "country",
    "payment_terms_days",
    "current_ratio",
    "leverage",
    "net_margin",
    "annual_revenue",
    "years_in_business",
    "employees",
    "bureau_score",
)
_CUSTOMER_INPUTS = model_inputs(CUSTOMER_FEATURES)
# Identifiers and dates the invoice builder returns beside the features.
_INVOICE_META = ("customer_id", "feature_date", "customer_features_date")


@dataclass(frozen=True)
class Sample:
    """One task's rows: features ``X``, outcome ``y``, the date of each row (for the
    out-of-time split) and the entity id of each row."""

    task: str
    X: pd.DataFrame
    y: np.ndarray
    dates: pd.Series
    ids: pd.Series
    # Customer of each row, where a customer has many rows: the out-of-time test holds some
    # customers out of fitting entirely so the model cannot simply remember them.
    groups: pd.Series | None = None

    def describe(self) -> str:
        if len(self.y) == 0:
            return f"{self.task}: no rows"
        kind = "rate" if set(np.unique(self.y)) <= {0, 1} else "mean"
        return (
            f"{self.task}: {len(self.y):,} rows, {kind} {np.mean(self.y):.2%}"
            if kind == "rate"
            else f"{self.task}: {len(self.y):,} rows, mean {np.mean(self.y):.1f}"
        )


def data_window(ledger: Ledger) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day the ledger has evidence for (invoices and payments)."""
    inv = ledger.invoices["invoice_date"]
    pay = ledger.payments["payment_date"]
    if inv.empty:
        raise ValueError("the ledger has no invoices: nothing to learn from")
    start = inv.min()
    end = max(inv.max(), pay.max()) if not pay.empty else inv.max()
    return pd.Timestamp(start), pd.Timestamp(end)


def snapshot_dates(
    data_start: pd.Timestamp,
    data_end: pd.Timestamp,
    horizon_months: int,
    warmup_months: int = 6,
    min_warmup_months: int | None = None,
    min_snapshots: int = 0,
) -> list[pd.Timestamp]:
    """Month ends from ``warmup_months`` after the start until the last one whose label window
    (T, T + horizon] closes by ``data_end``.

    A short ledger that would leave fewer than ``min_snapshots`` month ends starts earlier, one
    month at a time down to ``min_warmup_months`` of warm-up: thinner feature history in the
    first snapshots is better than no out-of-time test at all.
    """
    last_allowed = data_end - pd.DateOffset(months=horizon_months)
    floor = warmup_months if min_warmup_months is None else min(min_warmup_months, warmup_months)
    for warmup in range(warmup_months, floor - 1, -1):
        first = (data_start + pd.DateOffset(months=warmup)) + pd.offsets.MonthEnd(0)
        dates = [
            pd.Timestamp(d)
            for d in pd.date_range(first, last_allowed, freq="ME")
            if d + pd.DateOffset(months=horizon_months) <= data_end
        ]
        if len(dates) >= min_snapshots:
            break
    return dates


def default_pd_sample(
    ledger: Ledger,
    rules: RulesPolicy,
    training: TrainingPolicy,
    dates: Sequence[pd.Timestamp] | None = None,
    arrays: LedgerArrays | None = None,
) -> Sample:
    """Customer-month rows for the default-PD model (see the module docstring)."""
    start, end = data_window(ledger)
    if dates is None:
        dates = snapshot_dates(
            start,
            end,
            training.horizon_months,
            training.warmup_months,
            training.min_warmup_months,
            training.min_oot_months + training.min_fit_months,
        )
    dates = list(dates)
    arrays = LedgerArrays.from_ledger(ledger) if arrays is None else arrays
    labels = default_labels(
        ledger,
        dates,
        data_end=end,
        horizon_months=training.horizon_months,
        default_dpd=training.default_dpd,
    )
    labels = labels[labels["complete"] & ~labels["in_default"]]
    first_invoice = ledger.invoices.groupby("customer_id")["invoice_date"].min()
    frames, ys, when, who = [], [], [], []
    for t in dates:
        at_t = labels[labels["as_of"] == t]
        has_history = at_t["customer_id"].map(first_invoice) <= t
        at_t = at_t[has_history.fillna(False).to_numpy()]
        if at_t.empty:
            continue
        feats = customer_features_at(arrays, to_day(t), rules.features)
        frames.append(feats.loc[at_t["customer_id"].to_numpy(), _CUSTOMER_INPUTS])
        ys.append(at_t["defaulted"].to_numpy())
        when.append(np.full(len(at_t), t.to_datetime64()))
        who.append(at_t["customer_id"].to_numpy())
    if not frames:
        empty = pd.DataFrame(columns=_CUSTOMER_INPUTS)
        return Sample(
            Task.DEFAULT_PD.value,
            empty,
            np.array([]),
            pd.Series([], dtype="datetime64[ns]"),
            pd.Series([], dtype="str"),
        )
    return Sample(
        task=Task.DEFAULT_PD.value,
        X=pd.concat(frames).reset_index(drop=True),
        y=np.concatenate(ys).astype(float),
        dates=pd.Series(np.concatenate(when), name="as_of"),
        ids=pd.Series(np.concatenate(who), name="customer_id"),
        groups=pd.Series(np.concatenate(who), name="customer_id"),
    )


def invoice_samples(
    ledger: Ledger, rules: RulesPolicy, training: TrainingPolicy, late_after_days: int | None = None
) -> tuple[Sample, Sample]:
    """The late-payment sample (binary) and the days-late sample (regression, invoices paid in
    full whose outcome had time to settle) from one pass of invoice features."""
    _, end = data_window(ledger)
    late_after = training.late_after_days if late_after_days is None else late_after_days
    outcome = late_payment_labels(ledger, data_end=end, late_after_days=late_after)
    outcome = outcome.set_index("invoice_id")
    features = build_invoice_features_at_issue(ledger, policy=rules)
    features = features.loc[outcome.index]
    X = features[model_inputs(c for c in features.columns if c not in _INVOICE_META)]
    observable = outcome["observable"].to_numpy()
    invoice_dates = outcome["invoice_date"]

    late = Sample(
        task=Task.LATE_PAYMENT.value,
        X=X[observable].reset_index(drop=True),
        y=outcome["late"].to_numpy()[observable].astype(float),
        dates=invoice_dates[observable].reset_index(drop=True),
        ids=pd.Series(outcome.index[observable], name="invoice_id"),
        groups=outcome["customer_id"][observable].reset_index(drop=True),
    )
    # Days late: paid in full, and issued early enough that slow payers had time to pay
    # (otherwise the target would be biased towards the quick ones).
    settle_by = end - pd.Timedelta(days=int(features["payment_terms_days"].max(skipna=True) or 0))
    settle_by -= pd.Timedelta(days=training.default_dpd)
    paid = outcome["days_late"].notna().to_numpy() & (invoice_dates <= settle_by).to_numpy()
    days = Sample(
        task=Task.DAYS_LATE.value,
        X=X[paid].reset_index(drop=True),
        y=outcome["days_late"].to_numpy()[paid],
        dates=invoice_dates[paid].reset_index(drop=True),
        ids=pd.Series(outcome.index[paid], name="invoice_id"),
        groups=outcome["customer_id"][paid].reset_index(drop=True),
    )
    return late, days


def onboarding_sample(
    ledger: Ledger,
    rules: RulesPolicy,
    training: TrainingPolicy,
    arrays: LedgerArrays | None = None,
) -> Sample:
    """New customers' application profiles and whether they defaulted in their first year."""
    start, end = data_window(ledger)
    labels = onboarding_labels(
        ledger,
        data_start=start,
        data_end=end,
        horizon_months=training.horizon_months,
        default_dpd=training.default_dpd,
    )
    arrays = LedgerArrays.from_ledger(ledger) if arrays is None else arrays
    # Profile features do not depend on T; take them at the data end for everyone at once.
    feats = customer_features_at(arrays, to_day(end), rules.features)
    X = feats.loc[labels["customer_id"].to_numpy(), model_inputs(ONBOARDING_FEATURES)]
    return Sample(
        task=Task.ONBOARDING_PD.value,
        X=X.reset_index(drop=True),
        y=labels["defaulted"].to_numpy().astype(float),
        dates=pd.Series(labels["onboarding_date"].to_numpy(), name="onboarding_date"),
        ids=pd.Series(labels["customer_id"].to_numpy(), name="customer_id"),
    )


__all__ = [
    "CUSTOMER_FEATURES",
    "INVOICE_FEATURES",
    "ONBOARDING_FEATURES",
    "Sample",
    "data_window",
    "default_pd_sample",
    "invoice_samples",
    "onboarding_sample",
    "snapshot_dates",
]
