"""Receivable measures as of a day: open amounts, DSO (standard and count-back), CEI.

Shared by the customer features and the aging report so a customer's DSO and the portfolio's
DSO are the same formula (the portfolio's is computed on totals, not averaged).

Credit notes: open AR is net of the credits applied to invoices; sales (DSO's denominator, the
trading volume features) are what was invoiced, credit notes not subtracted, because a credit
corrects an invoice's balance rather than undoing trade, and netting a large credit could turn a
period's sales negative and DSO meaningless. Unapplied credit is exposure, not AR.
"""

from __future__ import annotations

import numpy as np

from features.group_ops import group_sum, ratio
from features.ledger_arrays import LedgerArrays

COUNTBACK_PERIOD_DAYS = 30
COUNTBACK_PERIODS = 12


def open_ar_at(a: LedgerArrays, day: int, rows: np.ndarray | None = None) -> np.ndarray:
    """Open receivables per customer at the end of ``day``: invoices issued by then and not yet
    closed (paid, credited or written off), less the instalments (payments and applied credit
    notes) received by then. ``rows`` restricts the
    invoices looked at (it must contain every invoice open at ``day``)."""
    idx = slice(None) if rows is None else rows
    open_ = (a.inv_day[idx] <= day) & (a.inv_close[idx] > day)
    gross = group_sum(a.inv_cust[idx], a.n_customers, np.where(open_, a.inv_amount[idx], 0.0))
    part_open = (a.part_day <= day) & (a.inv_close[a.part_inv] > day)
    paid = group_sum(a.part_cust, a.n_customers, np.where(part_open, a.part_amount, 0.0))
    return gross - paid


def unapplied_credit_at(a: LedgerArrays, day: int) -> np.ndarray:
    """Credit per customer from credit notes issued by ``day`` that found no open invoice to
    net against (:mod:`ledger.credit_notes`); it lowers the customer's net exposure."""
    return group_sum(a.unap_cust, a.n_customers, np.where(a.unap_day <= day, a.unap_amount, 0.0))


def sales_between(a: LedgerArrays, after: int, until: int, rows: np.ndarray) -> np.ndarray:
    """Amount invoiced per customer with ``after < invoice day <= until`` among ``rows``."""
    day = a.inv_day[rows]
    in_window = (day > after) & (day <= until)
    return group_sum(a.inv_cust[rows], a.n_customers, np.where(in_window, a.inv_amount[rows], 0.0))


def written_off_between(a: LedgerArrays, after: int, until: int, rows: np.ndarray) -> np.ndarray:
    """Amount lost to write-offs per customer with ``after < write-off day <= until``: what was
    still open when written off (an invoice paid in full first is not a loss)."""
    writeoff = a.inv_writeoff[rows]
    lost = (writeoff < a.inv_settle[rows]) & (writeoff > after) & (writeoff <= until)
    amount = a.inv_amount[rows] - a.inv_instalments[rows]
    return group_sum(a.inv_cust[rows], a.n_customers, np.where(lost, amount, 0.0))


def period_sales(a: LedgerArrays, t: int, rows: np.ndarray) -> np.ndarray:
    """Sales per customer in the twelve 30-day periods up to day ``t``, most recent first
    (one column each): the input of the count-back DSO."""
    age = t - a.inv_day[rows]
    inside = (age >= 0) & (age < COUNTBACK_PERIOD_DAYS * COUNTBACK_PERIODS)
    period = np.clip(age // COUNTBACK_PERIOD_DAYS, 0, COUNTBACK_PERIODS - 1)
    n = a.n_customers
    sales = np.bincount(
        a.inv_cust[rows] * COUNTBACK_PERIODS + period,
        weights=np.where(inside, a.inv_amount[rows], 0.0),
        minlength=n * COUNTBACK_PERIODS,
    )
    return sales.reshape(n, COUNTBACK_PERIODS)


def dso(open_ar: np.ndarray, sales: np.ndarray, period_days: int, cap_days: int) -> np.ndarray:
    """Standard DSO: open AR / period sales x period days. No AR is 0 days; AR without sales
    (or beyond the cap) is ``cap_days``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(sales > 0, open_ar / np.where(sales > 0, sales, 1.0) * period_days, 0.0)
    raw = np.where((sales <= 0) & (open_ar > 0), cap_days, raw)
    return np.minimum(raw, cap_days)


def dso_countback(open_ar: np.ndarray, period_sales: np.ndarray, cap_days: int) -> np.ndarray:
    """Count-back DSO: walk back through 30-day periods of sales (most recent first, one column
    each) until they add up to open AR; days of the periods used, the last one pro rata."""
    cumulative = np.cumsum(period_sales, axis=1)
    full = (cumulative < open_ar[:, None]).sum(axis=1)  # periods entirely consumed
    n_periods = period_sales.shape[1]
    inside = full < n_periods
    k = np.minimum(full, n_periods - 1)
    rows = np.arange(len(open_ar))
    before = np.where(k > 0, cumulative[rows, np.maximum(k - 1, 0)], 0.0)
    current = period_sales[rows, k]
    with np.errstate(divide="ignore", invalid="ignore"):
        partial = np.where(current > 0, (open_ar - before) / np.where(current > 0, current, 1), 0)
    days = (k + partial) * COUNTBACK_PERIOD_DAYS
    out = np.where(inside, days, cap_days)
    out = np.where(open_ar > 0, out, 0.0)
    return np.minimum(out, cap_days)


def cei(
    begin_ar: np.ndarray,
    sales: np.ndarray,
    end_ar: np.ndarray,
    end_current_ar: np.ndarray,
    written_off: np.ndarray,
) -> np.ndarray:
    """Collection effectiveness index (0-1): what was collected over what could have been.

    collectible = opening AR + sales - closing current (not yet due) AR; collected = opening AR
    + sales - closing AR - written off (a write-off is not a collection). NaN when nothing was
    collectible.
    """
    collectible = begin_ar + sales - end_current_ar
    collected = begin_ar + sales - end_ar - written_off
    out = ratio(collected, collectible)
    return np.where(collectible > 0.005, out, np.nan)
