"""Invoice-level features for the late-payment model: the invoice's own terms and state at a
feature date, plus its customer's features.

Two ways in, one row layout:

* :func:`build_invoice_features` - every invoice open at T (or issued by T, or a given list),
  all at the same date T: scoring.
* :func:`build_invoice_features_at_issue` - each invoice at its own invoice date: training
  samples. Customer features for many dates without a loop per invoice: they are computed at
  snapshot dates (month starts by default) for just the customers invoicing in that month, and
  each invoice takes the latest snapshot on or before its date - never a later one, so nothing
  from after the invoice date leaks in; the price is up to one snapshot interval of staleness.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from features.customer import AsOf, customer_features_at
from features.group_ops import ratio
from features.ledger_arrays import LedgerArrays, from_day, positions_in, to_day
from features.policy import DEFAULT_RULES, RulesPolicy
from features.registry import CUSTOMER_FEATURES, INVOICE_FEATURES
from ledger.frames import Ledger

Scope = Literal["open", "issued"]


def build_invoice_features(
    ledger: Ledger,
    as_of: AsOf,
    *,
    invoice_ids: list[str] | pd.Index | None = None,
    scope: Scope = "open",
    policy: RulesPolicy = DEFAULT_RULES,
) -> pd.DataFrame:
    """Invoice features at ``as_of`` for the invoices open then (``scope="open"``), all issued by
    then (``"issued"``), or exactly ``invoice_ids`` (each must be issued by ``as_of``).

    Index ``invoice_id``; columns ``customer_id``, ``feature_date``,
    ``customer_features_date``, the invoice features, then the customer features.
    """
    arrays = LedgerArrays.from_ledger(ledger)
    t = to_day(as_of)
    if invoice_ids is not None:
        rows = _rows_of(arrays, invoice_ids)
        late = arrays.inv_day[rows] > t
        if late.any():
            first = arrays.invoices["invoice_id"].iloc[rows[late][:5]].tolist()
            raise ValueError(f"invoices {first} are dated after as_of {from_day(t).date()}")
    elif scope == "open":
        rows = np.flatnonzero((arrays.inv_day <= t) & (arrays.inv_close > t))
    elif scope == "issued":
        rows = np.flatnonzero(arrays.inv_day <= t)
    else:
        raise ValueError(f"scope must be 'open' or 'issued'; got {scope!r}")
    feature_day = np.full(len(rows), t, dtype=np.int64)
    return _assemble(arrays, rows, feature_day, feature_day, policy)


def build_invoice_features_at_issue(
    ledger: Ledger,
    *,
    invoice_ids: list[str] | pd.Index | None = None,
    snapshot_freq: str = "MS",
    policy: RulesPolicy = DEFAULT_RULES,
) -> pd.DataFrame:
    """Each invoice's features at its own invoice date, customer features from the latest
    snapshot (``snapshot_freq``, a pandas frequency: ``"MS"`` month starts, ``"W-MON"``
    weekly...) on or before that date. Same columns as :func:`build_invoice_features`."""
    arrays = LedgerArrays.from_ledger(ledger)
    rows = np.arange(len(arrays.inv_day)) if invoice_ids is None else _rows_of(arrays, invoice_ids)
    issue_day = arrays.inv_day[rows]
    snapshot_day = _snapshot_days(issue_day, snapshot_freq)
    return _assemble(arrays, rows, issue_day, snapshot_day, policy)


def _rows_of(arrays: LedgerArrays, invoice_ids: list[str] | pd.Index) -> np.ndarray:
    ids = pd.Series(list(invoice_ids), dtype="str")
    repeated = ids[ids.duplicated()]
    if len(repeated):
        raise ValueError(f"invoice_ids must be unique; repeated: {repeated.head(5).tolist()}")
    found = positions_in(ids, arrays.invoices["invoice_id"])
    missing = np.isnan(found)
    if missing.any():
        raise ValueError(f"unknown invoice_id(s): {ids[missing].head(5).tolist()}")
    return found.astype(np.int64)


def _snapshot_days(days: np.ndarray, freq: str) -> np.ndarray:
    """The latest snapshot day on or before each day."""
    if len(days) == 0:
        return days.copy()
    lo, hi = from_day(int(days.min())), from_day(int(days.max()))
    try:
        grid = pd.date_range(lo - pd.tseries.frequencies.to_offset(freq), hi, freq=freq)
    except ValueError as exc:
        raise ValueError(f"snapshot_freq {freq!r} is not a pandas frequency: {exc}") from exc
    grid_days = grid.to_numpy().astype("datetime64[D]").astype(np.int64)
    return grid_days[np.searchsorted(grid_days, days, side="right") - 1]


def _assemble(
    arrays: LedgerArrays,
    rows: np.ndarray,
    feature_day: np.ndarray,
    snapshot_day: np.ndarray,
    policy: RulesPolicy,
) -> pd.DataFrame:
    customer = _customer_rows(arrays, rows, snapshot_day, policy)
    own = _invoice_columns(arrays, rows, feature_day)
    own["invoice_relative_size"] = ratio(
        own["invoice_amount"], customer["invoice_amount_mean_12m"].to_numpy()
    )
    invoice_ids = pd.Index(
        arrays.invoices["invoice_id"].iloc[arrays.inv_row[rows]], dtype="str", name="invoice_id"
    )
    head = pd.DataFrame(
        {
            "customer_id": arrays.customers["customer_id"].iloc[arrays.inv_cust[rows]].array,
            "feature_date": _dates(feature_day),
            "customer_features_date": _dates(snapshot_day),
            **{name: own[name] for name in INVOICE_FEATURES},
        },
        index=invoice_ids,
    )
    customer.index = invoice_ids
    return pd.concat([head, customer[list(CUSTOMER_FEATURES)]], axis=1)


def _dates(days: np.ndarray) -> np.ndarray:
    return (days.astype("datetime64[D]")).astype("datetime64[ns]")


def _customer_rows(
    arrays: LedgerArrays, rows: np.ndarray, snapshot_day: np.ndarray, policy: RulesPolicy
) -> pd.DataFrame:
    """The customer features of each row's customer at the row's snapshot day, one batch per
    distinct snapshot day, each restricted to the customers that need it."""
    codes = arrays.inv_cust[rows]
    parts: list[pd.DataFrame] = []
    order: list[np.ndarray] = []
    for day in np.unique(snapshot_day):
        at_day = np.flatnonzero(snapshot_day == day)
        needed, where = np.unique(codes[at_day], return_inverse=True)
        subset = arrays if len(needed) == arrays.n_customers else arrays.subset(needed)
        frame = customer_features_at(subset, int(day), policy.features)
        parts.append(frame.iloc[where])
        order.append(at_day)
    if not parts:
        empty = customer_features_at(arrays.subset(np.array([], dtype=np.int64)), 0)
        return empty.reset_index(drop=True)
    stacked = pd.concat(parts, ignore_index=True)
    position = np.empty(len(rows), dtype=np.int64)
    position[np.concatenate(order)] = np.arange(len(rows))
    return stacked.iloc[position].reset_index(drop=True)


def _invoice_columns(
    arrays: LedgerArrays, rows: np.ndarray, feature_day: np.ndarray
) -> dict[str, np.ndarray]:
    """The invoice's own columns at its feature day (instalments and disputes by that day)."""
    amount = arrays.inv_amount[rows]
    day, due = arrays.inv_day[rows], arrays.inv_due[rows]
    row_of = np.full(len(arrays.inv_day), -1, dtype=np.int64)
    row_of[rows] = np.arange(len(rows))
    target = row_of[arrays.part_inv]
    paid_mask = target >= 0
    paid_mask[paid_mask] = arrays.part_day[paid_mask] <= feature_day[target[paid_mask]]
    paid = np.bincount(
        target[paid_mask], weights=arrays.part_amount[paid_mask], minlength=len(rows)
    )
    still_open = arrays.inv_close[rows] > feature_day
    months = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return {
        "invoice_amount": amount,
        "invoice_terms_days": (due - day).astype(np.float64),
        "invoice_month": (months % 12 + 1).astype(np.float64),
        "invoice_days_since_issue": (feature_day - day).astype(np.float64),
        "invoice_days_to_due": (due - feature_day).astype(np.float64),
        "invoice_open_share": np.where(still_open, (amount - paid) / amount, 0.0),
        "invoice_disputed": (arrays.inv_dispute[rows] <= feature_day).astype(np.float64),
    }
