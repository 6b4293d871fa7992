"""Aging of receivables as of a date: per invoice, per customer and for the portfolio.

Overdue days are ``as_of - due_date`` for open items and ``paid_date - due_date`` for paid ones
(the write-off date for written-off ones). Buckets, grades, the collection ladder and the warning
thresholds come from the policy. Portfolio DSO and CEI are computed on portfolio totals, with the
same formulas as the customers' (:mod:`features.receivables`), not averaged over customers.

Credit notes are never aged as invoices: applied ones have lowered their invoices' open amounts,
and what is left unapplied shows per customer (``unapplied_credit``) and lowers its exposure
(:mod:`ledger.credit_notes`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.customer import AsOf, customer_features_at
from features.group_ops import group_sum, ratio
from features.ledger_arrays import LedgerArrays, from_day, to_day
from features.policy import DEFAULT_RULES, GRADES, RulesPolicy
from features.receivables import (
    cei,
    dso,
    dso_countback,
    open_ar_at,
    period_sales,
    sales_between,
    unapplied_credit_at,
    written_off_between,
)
from features.rules import collection_steps, early_warnings, grade_strategy, overdue_risk_grade
from ledger.frames import Ledger

# ``None`` for the cells of closed invoices, as a 0-d object array numpy's ``where`` can take.
_NONE = np.array(None, dtype=object)


@dataclass(frozen=True)
class AgingReport:
    """The aging of a ledger (or of some customers) at ``as_of``.

    * ``invoices``: one row per open invoice (all invoices issued by ``as_of`` with
      ``include_settled``): status, open amount, days overdue, bucket, collection step.
    * ``customers``: one row per customer: bucket amounts, overdue ratio, DSO, CEI, bad-debt
      ratio, unapplied credit, exposure (open AR less unapplied credit plus open orders),
      overdue risk grade and strategy.
    * ``customer_buckets``: per customer and bucket: amount, count and share of open AR.
    * ``portfolio``: per bucket: amount, count and share; ``summary``: portfolio totals.
    * ``warnings``: early-warning signals (customer, code, message, value, threshold).
    """

    as_of: pd.Timestamp
    buckets: tuple[str, ...]
    invoices: pd.DataFrame
    customers: pd.DataFrame
    customer_buckets: pd.DataFrame
    portfolio: pd.DataFrame
    summary: dict[str, float]
    warnings: pd.DataFrame


def age_ledger(
    ledger: Ledger,
    as_of: AsOf,
    policy: RulesPolicy = DEFAULT_RULES,
    *,
    customer_ids: Iterable[str] | None = None,
    include_settled: bool = False,
) -> AgingReport:
    """Age ``ledger`` at ``as_of``; with ``customer_ids`` only those customers (and the
    portfolio figures are theirs)."""
    if customer_ids is not None:
        wanted = list(dict.fromkeys(customer_ids))
        known = set(ledger.customers["customer_id"])
        unknown = [c for c in wanted if c not in known]
        if unknown:
            raise ValueError(f"unknown customer_id(s): {unknown[:5]}")
        ledger = ledger.for_customers(wanted)
    return age_arrays(LedgerArrays.from_ledger(ledger), as_of, policy, include_settled)


@dataclass(frozen=True)
class CustomerAging:
    """The customer-level part of an :class:`AgingReport` (what a score shows): one row per
    customer in ``customers`` and the early ``warnings``, without the per-invoice table and
    portfolio figures, which a single customer's score does not need."""

    as_of: pd.Timestamp
    buckets: tuple[str, ...]
    customers: pd.DataFrame
    warnings: pd.DataFrame


@dataclass(frozen=True)
class _CustomerPart:
    aging: CustomerAging
    features: pd.DataFrame
    amounts: np.ndarray
    counts: np.ndarray
    lost: np.ndarray
    invoiced: np.ndarray
    grades: np.ndarray


def customer_aging(
    a: LedgerArrays,
    as_of: AsOf,
    policy: RulesPolicy = DEFAULT_RULES,
    *,
    features: pd.DataFrame | None = None,
) -> CustomerAging:
    """Each customer's aging, overdue risk and early warnings at ``as_of``. ``features`` are
    the customer features of ``a`` at ``as_of`` when the caller has them already (scoring
    does), so they are not computed twice."""
    t = to_day(as_of)
    known, rows = _invoice_rows(a, t, include_settled=False)
    bucket, open_amount, _ = _aged_rows(a, rows, t, policy)
    return _customer_part(a, t, policy, features, known, rows, bucket, open_amount).aging


def _invoice_rows(a: LedgerArrays, t: int, include_settled: bool) -> tuple[np.ndarray, np.ndarray]:
    """Invoices issued by ``t``, and the ones the aging lists (open only, or all)."""
    known = np.flatnonzero(a.inv_day <= t)
    return known, known if include_settled else known[a.inv_close[known] > t]


def _customer_part(
    a: LedgerArrays,
    t: int,
    policy: RulesPolicy,
    features: pd.DataFrame | None,
    known: np.ndarray,
    rows: np.ndarray,
    bucket: np.ndarray,
    open_amount: np.ndarray,
) -> _CustomerPart:
    """The customer rows and warnings from the aged ``rows`` (settled ones carry no open
    amount, so they add nothing to the buckets)."""
    n = a.n_customers
    labels = policy.aging.labels
    if features is None:
        features = customer_features_at(a, t, policy.features)
    elif len(features) != n:
        raise ValueError(f"features hold {len(features)} customers; the ledger {n}")

    nb = len(labels)
    open_rows = open_amount > 0
    key = a.inv_cust[rows][open_rows] * nb + bucket[open_rows]
    amounts = np.bincount(key, weights=open_amount[open_rows], minlength=n * nb).reshape(n, nb)
    counts = np.bincount(key, minlength=n * nb).reshape(n, nb)

    bad_debt_days = policy.aging.bad_debt_window_days
    lost = written_off_between(a, t - bad_debt_days, t, known)
    invoiced = sales_between(a, t - bad_debt_days, t, known)
    orders = group_sum(a.ord_cust, n, np.where(a.ord_open & (a.ord_day <= t), a.ord_amount, 0.0))
    unapplied = unapplied_credit_at(a, t)
    exposure = features["open_ar"].to_numpy() - unapplied + orders  # net of the customer's credit
    grades = overdue_risk_grade(
        features["max_days_overdue"].to_numpy(),
        features["overdue_share"].to_numpy(),
        1 - features["on_time_share_12m"].to_numpy(),
        features["overdue_ar"].to_numpy(),
        policy.overdue_risk,
    )
    customers = pd.DataFrame(
        {
            "name": a.customers["name"].array,
            "open_ar": features["open_ar"].to_numpy(),
            "overdue_ar": features["overdue_ar"].to_numpy(),
            "overdue_ratio": features["overdue_share"].to_numpy(),
            "max_days_overdue": features["max_days_overdue"].to_numpy(),
            "late_share_12m": 1 - features["on_time_share_12m"].to_numpy(),
            "dso": features["dso"].to_numpy(),
            "dso_countback": features["dso_countback"].to_numpy(),
            "cei": features["cei"].to_numpy(),
            "bad_debt_ratio": ratio(lost, invoiced),
            "credit_limit": a.cust_limit,
            "unapplied_credit": unapplied,
            "open_orders": orders,
            "exposure": exposure,
            "utilisation": np.where(a.cust_limit > 0, ratio(exposure, a.cust_limit), np.nan),
            "risk_grade": pd.array(grades, dtype="str"),
            "strategy": pd.array(grade_strategy(grades, policy.overdue_risk), dtype="str"),
            **{label: amounts[:, j] for j, label in enumerate(labels)},
        },
        index=a.customer_ids,
    )
    warnings = early_warnings(
        features,
        policy.early_warnings,
        exposure=pd.Series(exposure, index=features.index),
        currency=_portfolio_currency(a),
    )
    aging = CustomerAging(from_day(t), labels, customers, warnings)
    return _CustomerPart(aging, features, amounts, counts, lost, invoiced, grades)


def aged_invoices(
    a: LedgerArrays,
    as_of: AsOf,
    policy: RulesPolicy = DEFAULT_RULES,
    include_settled: bool = False,
) -> pd.DataFrame:
    """The invoice table of :func:`age_arrays` alone (bucket, days overdue, collection step …),
    without the customer figures and early warnings: what the collector's view of open
    invoices needs, at about half the cost of the whole report on one customer."""
    t = to_day(as_of)
    _, rows = _invoice_rows(a, t, include_settled)
    bucket, open_amount, detail = _aged_rows(a, rows, t, policy)
    return _invoice_table(a, rows, t, policy, bucket, open_amount, detail)


def age_arrays(
    a: LedgerArrays,
    as_of: AsOf,
    policy: RulesPolicy = DEFAULT_RULES,
    include_settled: bool = False,
    *,
    features: pd.DataFrame | None = None,
) -> AgingReport:
    """:func:`age_ledger` on a prepared ledger (``features`` as in :func:`customer_aging`)."""
    t = to_day(as_of)
    n = a.n_customers
    known, rows = _invoice_rows(a, t, include_settled)
    bucket, open_amount, detail = _aged_rows(a, rows, t, policy)
    part = _customer_part(a, t, policy, features, known, rows, bucket, open_amount)
    labels, features, amounts = part.aging.buckets, part.features, part.amounts
    invoices = _invoice_table(a, rows, t, policy, bucket, open_amount, detail)
    summary = _summary(
        a,
        t,
        policy,
        features,
        known,
        part.lost,
        part.invoiced,
        part.grades,
        len(part.aging.warnings),
    )
    total = amounts.sum(axis=0)
    portfolio = pd.DataFrame(
        {"amount": total, "count": part.counts.sum(axis=0), "share": ratio(total, total.sum())},
        index=pd.Index(labels, name="bucket"),
    )
    nb = len(labels)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = amounts / features["open_ar"].to_numpy()[:, None]
    customer_buckets = pd.DataFrame(
        {
            "customer_id": np.repeat(a.customer_ids.to_numpy(), nb),
            "bucket": np.tile(np.asarray(labels, dtype=object), n),
            "amount": amounts.ravel(),
            "count": part.counts.ravel(),
            "share": shares.ravel(),
        }
    ).astype({"customer_id": "str", "bucket": "str"})
    return AgingReport(
        as_of=from_day(t),
        buckets=labels,
        invoices=invoices,
        customers=part.aging.customers,
        customer_buckets=customer_buckets,
        portfolio=portfolio,
        summary=summary,
        warnings=part.aging.warnings,
    )


def _aged_rows(
    a: LedgerArrays, rows: np.ndarray, t: int, policy: RulesPolicy
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Each row's bucket index and open amount at ``t``, plus the other per-invoice arrays the
    invoice table shows."""
    settle, writeoff, due = a.inv_settle[rows], a.inv_writeoff[rows], a.inv_due[rows]
    is_open = a.inv_close[rows] > t
    paid = ~is_open & (settle <= writeoff)
    instalments = np.bincount(
        a.part_inv, weights=np.where(a.part_day <= t, a.part_amount, 0.0), minlength=len(a.inv_day)
    )
    open_amount = np.where(is_open, a.inv_amount[rows] - instalments[rows], 0.0)
    closed_on = np.where(paid, settle, writeoff)
    days_overdue = np.where(is_open, t - due, closed_on - due)
    edges = np.asarray(policy.aging.bucket_edges)
    bucket = np.searchsorted(edges, days_overdue, side="left")
    detail = {"is_open": is_open, "paid": paid, "days_overdue": days_overdue, "due": due}
    return bucket, open_amount, detail


def _invoice_table(
    a: LedgerArrays,
    rows: np.ndarray,
    t: int,
    policy: RulesPolicy,
    bucket: np.ndarray,
    open_amount: np.ndarray,
    d: dict[str, np.ndarray],
) -> pd.DataFrame:
    """Per-invoice aging rows (aged by :func:`_aged_rows`): status, open amount, days overdue,
    bucket, collection step."""
    is_open, paid, days_overdue, due = d["is_open"], d["paid"], d["days_overdue"], d["due"]
    labels = np.asarray(policy.aging.labels, dtype=object)
    disputed = a.inv_dispute[rows] <= t
    step, action = collection_steps(days_overdue, open_amount, disputed, policy.collection)
    status = np.where(is_open, "open", np.where(paid, "paid", "written_off"))
    table = pd.DataFrame(
        {
            "customer_id": a.customers["customer_id"].iloc[a.inv_cust[rows]].array,
            "invoice_date": (a.inv_day[rows]).astype("datetime64[D]").astype("datetime64[ns]"),
            "due_date": due.astype("datetime64[D]").astype("datetime64[ns]"),
            "amount": a.inv_amount[rows],
            "open_amount": open_amount,
            "status": status,
            "days_overdue": days_overdue,
            "bucket": np.where(is_open, labels[bucket], _NONE),
            "disputed": disputed,
            "collection_step": np.where(is_open, step, _NONE),
            "collection_action": np.where(is_open, action, _NONE),
        },
        index=pd.Index(
            a.invoices["invoice_id"].iloc[a.inv_row[rows]], dtype="str", name="invoice_id"
        ),
    )
    return table.astype(
        {"status": "str", "bucket": "str", "collection_step": "str", "collection_action": "str"}
    )


def _portfolio_currency(a: LedgerArrays) -> str:
    currencies = a.customers["currency"].dropna().unique()
    return str(currencies[0]) if len(currencies) == 1 else ""


def _summary(
    a: LedgerArrays,
    t: int,
    policy: RulesPolicy,
    features: pd.DataFrame,
    known: np.ndarray,
    lost: np.ndarray,
    invoiced: np.ndarray,
    grades: np.ndarray,
    n_warnings: int,
) -> dict[str, float]:
    """Portfolio figures from totals (one-element arrays through the customers' formulas)."""
    period, cap = policy.features.dso_period_days, policy.features.dso_cap_days
    open_ar = np.array([features["open_ar"].sum()])
    overdue_ar = np.array([features["overdue_ar"].sum()])
    sales = np.array([sales_between(a, t - period, t, known).sum()])
    begin = np.array([open_ar_at(a, t - period, known).sum()])
    written_off = np.array([written_off_between(a, t - period, t, known).sum()])
    by_period = period_sales(a, t, known).sum(axis=0, keepdims=True)
    summary: dict[str, float] = {
        "customers": float(a.n_customers),
        "open_invoices": float(features["open_invoice_count"].sum()),
        "open_ar": float(open_ar[0]),
        "unapplied_credit": float(unapplied_credit_at(a, t).sum()),
        "overdue_ar": float(overdue_ar[0]),
        "overdue_ratio": float(ratio(overdue_ar, open_ar)[0]),
        "dso": float(dso(open_ar, sales, period, cap)[0]),
        "dso_countback": float(dso_countback(open_ar, by_period, cap)[0]),
        "cei": float(cei(begin, sales, open_ar, open_ar - overdue_ar, written_off)[0]),
        "bad_debt_ratio": float(ratio(np.array([lost.sum()]), np.array([invoiced.sum()]))[0]),
        "warnings": float(n_warnings),
    }
    for grade in GRADES:
        summary[f"customers_{grade}"] = float((grades == grade).sum())
    return summary
