"""The limit check sales runs before taking an order: rules only, no model call.

Exposure is open receivables plus open orders as of today; the decision is ``decline`` for a
customer on stop (overdue risk critical), ``refer`` when the order would breach the limit, the
customer has no approved limit or an invoice is long overdue, else ``approve``.

The service reads a customer's :class:`LimitPosition` with one aggregate SQL query
(:func:`read_position`) because loading and aging the whole sub-ledger costs ~15 ms a request;
:func:`position_from_aging` reads the same figures off a full aging report, and both feed the one
set of rules in :func:`check_position` (the tests hold the two positions equal).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)

from features.aging import AgingReport, age_arrays
from features.ledger_arrays import SETTLE_TOLERANCE, LedgerArrays
from features.policy import RulesPolicy
from features.registry import WINDOWS
from features.rules import grade_strategy, overdue_risk_grade
from ledger import tables
from ledger.frames import Ledger


@dataclass(frozen=True)
class LimitPosition:
    """What the limit rules need about one customer as of a day."""

    credit_limit: float | None
    open_ar: float
    overdue_ar: float
    max_days_overdue: int
    late_share_12m: float  # NaN without invoices settled in the last 12 months
    open_orders: float
    long_overdue_count: int  # open invoices more than the refer threshold overdue
    long_overdue_amount: float
    refer_days_overdue: int

    @property
    def exposure(self) -> float:
        return self.open_ar + self.open_orders


def check_limit(
    ledger: Ledger,
    customer_id: str,
    amount: float,
    today: dt.date,
    policy: RulesPolicy,
    refer_days_overdue: int,
) -> dict[str, Any]:
    """The decision on an order of ``amount`` for one customer (``ledger`` holds it), through
    the full aging of the ledger: the reference the fast path is tested against."""
    report = age_arrays(LedgerArrays.from_ledger(ledger), today, policy)
    position = position_from_aging(report, customer_id, refer_days_overdue)
    return check_position(position, customer_id, amount, today, policy)


def position_from_aging(
    report: AgingReport, customer_id: str, refer_days_overdue: int
) -> LimitPosition:
    """A customer's limit position read off an aging report."""
    row = report.customers.loc[customer_id]
    invoices = report.invoices
    long_overdue = invoices[
        (invoices["customer_id"] == customer_id)
        & (invoices["status"] == "open")
        & (invoices["days_overdue"] > refer_days_overdue)
    ]
    limit = float(row["credit_limit"])
    return LimitPosition(
        credit_limit=limit if math.isfinite(limit) else None,
        open_ar=float(row["open_ar"]),
        overdue_ar=float(row["overdue_ar"]),
        max_days_overdue=int(row["max_days_overdue"]),
        late_share_12m=float(row["late_share_12m"]),
        open_orders=float(row["open_orders"]),
        long_overdue_count=len(long_overdue),
        long_overdue_amount=float(long_overdue["open_amount"].sum()),
        refer_days_overdue=refer_days_overdue,
    )


def read_position(
    connection: Connection,
    customer_id: str,
    today: dt.date,
    policy: RulesPolicy,
    refer_days_overdue: int,
) -> LimitPosition | None:
    """A customer's limit position as of ``today`` from one aggregate query; None when the
    customer is unknown. Same conventions as :class:`features.ledger_arrays.LedgerArrays`:
    a payment counts from ``max(payment_date, invoice_date)``, an invoice's ``paid_date`` is one
    full payment when it has no payments, an invoice is settled on the day its payments first
    reach its amount (within the settle tolerance) and closed when settled or written off."""
    result = connection.execute(
        _position_query(connection.dialect.name),
        {
            "customer_id": customer_id,
            "today": today,
            "year_ago": today - dt.timedelta(days=WINDOWS["12m"]),
            "refer_before": today - dt.timedelta(days=refer_days_overdue),
            "grace": policy.features.on_time_grace_days,
        },
    ).one_or_none()
    if result is None:
        return None
    limit = result.credit_limit
    settled = int(result.settled_12m or 0)
    on_time = int(result.on_time_12m or 0)
    oldest_due = _as_date(result.oldest_overdue_due)
    return LimitPosition(
        credit_limit=None if limit is None or not math.isfinite(limit) else float(limit),
        open_ar=float(result.open_ar or 0.0),
        overdue_ar=float(result.overdue_ar or 0.0),
        max_days_overdue=0 if oldest_due is None else (today - oldest_due).days,
        late_share_12m=1 - on_time / settled if settled else math.nan,
        open_orders=float(result.open_orders or 0.0),
        long_overdue_count=int(result.long_overdue_count or 0),
        long_overdue_amount=float(result.long_overdue_amount or 0.0),
        refer_days_overdue=refer_days_overdue,
    )


def check_position(
    position: LimitPosition,
    customer_id: str,
    amount: float,
    today: dt.date,
    policy: RulesPolicy,
) -> dict[str, Any]:
    """The decision on an order of ``amount`` given the customer's position."""
    p = position
    grade = overdue_risk_grade(
        np.array([p.max_days_overdue], dtype=np.float64),
        np.array([p.overdue_ar / p.open_ar if p.open_ar != 0 else math.nan]),
        np.array([p.late_share_12m]),
        np.array([p.overdue_ar]),
        policy.overdue_risk,
    )
    limit = p.credit_limit
    exposure = round(p.exposure, 2)  # money to the cent, not float noise
    available = None if limit is None else round(limit - exposure, 2)
    after = None if available is None else round(available - amount, 2)
    reasons: list[dict[str, str]] = []
    decision = "approve"
    if grade[0] == "critical":
        decision = "decline"
        strategy = grade_strategy(grade, policy.overdue_risk)[0]
        reasons.append(
            {
                "code": "customer_on_stop",
                "text": "the customer is on stop (overdue risk critical): " + str(strategy),
            }
        )
    if limit is None:
        reasons.append({"code": "no_credit_limit", "text": "the customer has no approved limit"})
    elif after is not None and after < 0:
        reasons.append(
            {
                "code": "over_limit",
                "text": f"the order takes exposure to {exposure + amount:,.2f}, "
                f"{-after:,.2f} over the limit of {limit:,.2f}",
            }
        )
    if p.long_overdue_count:
        reasons.append(
            {
                "code": "invoices_overdue",
                "text": f"{p.long_overdue_count} invoice(s) more than {p.refer_days_overdue} days "
                f"overdue, {p.long_overdue_amount:,.2f} open",
            }
        )
    if decision == "approve" and reasons:
        decision = "refer"
    if not reasons:
        reasons.append({"code": "within_limit", "text": "the order fits within the credit limit"})
    return {
        "customer_id": customer_id,
        "amount": amount,
        "decision": decision,
        "credit_limit": limit,
        "exposure": exposure,
        "available_credit": available,
        "available_after": after,
        "reasons": reasons,
        "as_of": today.isoformat(),
    }


def _as_date(value: Any) -> dt.date | None:
    """SQLite hands back aggregated dates as text."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _days_after(later: ColumnElement[Any], earlier: ColumnElement[Any], dialect: str) -> Any:
    """Whole days from ``earlier`` to ``later`` in SQL."""
    if dialect == "sqlite":
        return func.julianday(later) - func.julianday(earlier)
    return later - earlier


def _later(a: ColumnElement[Any], b: ColumnElement[Any]) -> Any:
    return case((a < b, b), else_=a)


@functools.cache
def _position_query(dialect: str) -> Any:
    """One statement: the customer's payments by invoice, each invoice's settle day, then the
    aggregates the limit rules read. Every date is compared with the request's ``today``."""
    cust = bindparam("customer_id")
    today = bindparam("today", type_=Date)
    inv = tables.invoices
    pay = tables.payments
    mine = and_(inv.c.customer_id == cust, inv.c.invoice_date <= today)
    # One stream of rows per invoice - its payments (explicit or implied by paid_date) plus one
    # empty row so unpaid invoices appear - each carrying the invoice's own columns: grouping
    # it needs no join back to invoices, so a customer's cost grows with its rows, not their
    # square.
    attributes = (inv.c.invoice_id, inv.c.amount, inv.c.due_date, inv.c.invoice_date)
    written_off = inv.c.written_off_date
    explicit = (
        select(
            *attributes,
            written_off,
            _later(pay.c.payment_date, inv.c.invoice_date).label("day"),
            pay.c.amount.label("paid_amount"),
        )
        .join(inv, inv.c.invoice_id == pay.c.invoice_id)
        .where(mine)
    )
    implied = select(
        *attributes,
        written_off,
        _later(inv.c.paid_date, inv.c.invoice_date),
        inv.c.amount,
    ).where(
        mine,
        inv.c.paid_date.is_not(None),
        ~exists().where(pay.c.invoice_id == inv.c.invoice_id),
    )
    unpaid = select(*attributes, written_off, null(), literal(0.0)).where(mine)
    stream = union_all(explicit, implied, unpaid).subquery("p")
    running = select(
        stream,
        func.sum(stream.c.paid_amount)
        .over(partition_by=stream.c.invoice_id, order_by=stream.c.day)
        .label("running"),
    ).subquery("r")
    r = running.c
    per_invoice = (
        select(
            r.invoice_id,
            r.amount,
            r.due_date,
            r.invoice_date,
            r.written_off_date,
            func.min(
                case(
                    (and_(r.day.is_not(None), r.running >= r.amount - SETTLE_TOLERANCE), r.day),
                    else_=null(),
                )
            ).label("settle"),
            func.sum(case((r.day <= today, r.paid_amount), else_=0.0)).label("paid"),
        )
        .group_by(r.invoice_id, r.amount, r.due_date, r.invoice_date, r.written_off_date)
        .subquery("i")
    )
    i = per_invoice.c
    is_open = and_(
        or_(i.settle.is_(None), i.settle > today),
        or_(i.written_off_date.is_(None), i.written_off_date > today),
    )
    open_amount = i.amount - i.paid
    overdue = and_(is_open, i.due_date < today)
    long_overdue = and_(is_open, i.due_date < bindparam("refer_before", type_=Date))
    writeoff = _later(i.written_off_date, i.invoice_date)
    settled_12m = and_(
        i.settle.is_not(None),
        i.settle <= today,
        i.settle > bindparam("year_ago", type_=Date),
        or_(i.written_off_date.is_(None), i.settle <= writeoff),
    )
    on_time = _days_after(i.settle, i.due_date, dialect) <= bindparam("grace")
    aggregates = select(
        func.sum(case((is_open, open_amount), else_=0.0)).label("open_ar"),
        func.sum(case((overdue, open_amount), else_=0.0)).label("overdue_ar"),
        func.min(case((overdue, i.due_date), else_=null())).label("oldest_overdue_due"),
        func.sum(case((long_overdue, 1), else_=0)).label("long_overdue_count"),
        func.sum(case((long_overdue, open_amount), else_=0.0)).label("long_overdue_amount"),
        func.sum(case((settled_12m, 1), else_=0)).label("settled_12m"),
        func.sum(case((and_(settled_12m, on_time), 1), else_=0)).label("on_time_12m"),
    ).subquery("a")
    orders = tables.orders
    open_orders = (
        select(func.coalesce(func.sum(orders.c.amount), 0.0))
        .where(
            orders.c.customer_id == cust,
            orders.c.status == "open",
            orders.c.order_date <= today,
        )
        .scalar_subquery()
    )
    customers = tables.customers
    return (
        select(
            customers.c.credit_limit,
            aggregates,
            open_orders.label("open_orders"),
        )
        .select_from(customers.join(aggregates, true()))
        .where(customers.c.customer_id == cust)
    )
