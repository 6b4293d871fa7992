"""The limit check sales runs before taking an order: rules only, no model call.

Exposure is open receivables (net of credit notes applied to them) less the customer's unapplied
credit, plus open orders, as of the ledger's as-of date (passed in as
``today``; :mod:`ledger.as_of`); the decision is ``decline`` for a
customer on stop (overdue risk critical), ``refer`` when the order would breach the limit, the
customer has no approved limit or an invoice is long overdue, else ``approve``.

The service reads a customer's :class:`LimitPosition` with two indexed reads and a plain loop
(:func:`read_position`) because loading and aging the whole sub-ledger costs ~15 ms a request;
:func:`position_from_aging` reads the same figures off a full aging report, and both feed the one
set of rules in :func:`check_position` (the tests hold the two positions equal).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import (
    BindParameter,
    Connection,
    Date,
    bindparam,
    func,
    select,
)

from features.aging import AgingReport, age_arrays
from features.ledger_arrays import SETTLE_TOLERANCE, LedgerArrays
from features.policy import RulesPolicy
from features.registry import WINDOWS
from features.rules import grade_strategy, overdue_risk_grade
from ledger import tables
from ledger.credit_notes import CreditNote, OpenItem, allocate
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
    unapplied_credit: float = 0.0  # credit notes that found no open invoice (ledger.credit_notes)

    @property
    def exposure(self) -> float:
        """Open receivables less the customer's unapplied credit, plus open orders."""
        return self.open_ar - self.unapplied_credit + self.open_orders


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
    row = report.customers.loc[customer_id].to_dict()
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
        unapplied_credit=float(row["unapplied_credit"]),
    )


def read_position(
    connection: Connection,
    customer_id: str,
    today: dt.date,
    policy: RulesPolicy,
    refer_days_overdue: int,
) -> LimitPosition | None:
    """A customer's limit position as of ``today``; None when the customer is unknown.

    Two indexed reads - the customer's limit and open orders, then its invoices with their
    payments - and the aggregation here. Same conventions as
    :class:`features.ledger_arrays.LedgerArrays`: a payment counts from
    ``max(payment_date, invoice_date)``, an invoice's ``paid_date`` is one full payment when it
    has no payments, an invoice is settled on the day its payments first reach its amount
    (within the settle tolerance) and closed when settled or written off."""
    header = connection.execute(
        _HEADER_QUERY, {"customer_id": customer_id, "today": today}
    ).one_or_none()
    if header is None:
        return None
    rows = connection.execute(_INVOICE_QUERY, {"customer_id": customer_id, "today": today}).all()
    invoices: dict[str, _Invoice] = {}
    credit_notes: list[CreditNote] = []
    for invoice_id, amount, due, issued, written_off, paid_date, ref, paid_on, paid in rows:
        if amount < 0:  # a credit note, issued by today (the query's filter)
            credit_notes.append(CreditNote(invoice_id, issued, -amount, ref))
            continue
        invoice = invoices.get(invoice_id)
        if invoice is None:
            invoice = invoices[invoice_id] = _Invoice(amount, due, issued, written_off, paid_date)
        if paid_on is not None:
            invoice.payments.append((max(paid_on, issued), paid))
    unapplied_credit = _apply_credit_notes(invoices, credit_notes)

    year_ago = today - dt.timedelta(days=WINDOWS["12m"])
    refer_before = today - dt.timedelta(days=refer_days_overdue)
    grace = policy.features.on_time_grace_days
    open_ar = overdue_ar = long_amount = 0.0
    long_count = settled_12m = on_time_12m = 0
    oldest_due: dt.date | None = None
    for invoice in invoices.values():
        settle, paid = invoice.settled_and_paid(today)
        written_off = invoice.written_off
        if (settle is None or settle > today) and (written_off is None or written_off > today):
            left = invoice.amount - paid
            open_ar += left
            if invoice.due < today:
                overdue_ar += left
                oldest_due = invoice.due if oldest_due is None else min(oldest_due, invoice.due)
            if invoice.due < refer_before:
                long_count += 1
                long_amount += left
        if (
            settle is not None
            and year_ago < settle <= today
            and (written_off is None or settle <= max(written_off, invoice.issued))
        ):
            settled_12m += 1
            on_time_12m += (settle - invoice.due).days <= grace
    limit = header.credit_limit
    return LimitPosition(
        credit_limit=None if limit is None or not math.isfinite(limit) else float(limit),
        open_ar=open_ar,
        overdue_ar=overdue_ar,
        max_days_overdue=0 if oldest_due is None else (today - oldest_due).days,
        late_share_12m=1 - on_time_12m / settled_12m if settled_12m else math.nan,
        open_orders=float(header.open_orders or 0.0),
        long_overdue_count=long_count,
        long_overdue_amount=long_amount,
        refer_days_overdue=refer_days_overdue,
        unapplied_credit=unapplied_credit,
    )


def _apply_credit_notes(invoices: dict[str, _Invoice], credit_notes: list[CreditNote]) -> float:
    """Net the customer's credit notes against its invoices by the ledger's one convention
    (:func:`ledger.credit_notes.allocate`); returns the credit left unapplied."""
    if not credit_notes:
        return 0.0
    items = [
        OpenItem(invoice_id, i.issued, i.due, i.amount, i.written_off, i.all_payments())
        for invoice_id, i in invoices.items()
    ]
    applied, unapplied = allocate(items, credit_notes)
    for application in applied:
        invoices[application.invoice_id].credits.append((application.day, application.amount))
    return sum(amount for _, amount in unapplied)


@dataclass
class _Invoice:
    """One invoice of the customer, its payments and the credit notes applied to it (day
    counted from, amount)."""

    amount: float
    due: dt.date
    issued: dt.date
    written_off: dt.date | None
    paid_date: dt.date | None
    payments: list[tuple[dt.date, float]] = field(default_factory=list)
    credits: list[tuple[dt.date, float]] = field(default_factory=list)

    def all_payments(self) -> list[tuple[dt.date, float]]:
        """The payments, or the one implied by ``paid_date`` when there are none."""
        if not self.payments and self.paid_date is not None:
            return [(max(self.paid_date, self.issued), self.amount)]
        return list(self.payments)

    def settled_and_paid(self, today: dt.date) -> tuple[dt.date | None, float]:
        """The day payments and credits first reach the amount (None if never) and the amount
        paid or credited by ``today``."""
        payments = self.all_payments() + self.credits
        target = self.amount - SETTLE_TOLERANCE
        settle = None
        running = paid = 0.0
        for day, amount in sorted(payments, key=lambda p: p[0]):
            running += amount
            if settle is None and running >= target:
                settle = day
            if day <= today:
                paid += amount
        return settle, paid


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


_customers, _invoices, _payments, _orders = (
    tables.customers,
    tables.invoices,
    tables.payments,
    tables.orders,
)
_CUSTOMER: BindParameter[str] = bindparam("customer_id")
_TODAY = bindparam("today", type_=Date)
_HEADER_QUERY = select(
    _customers.c.credit_limit,
    select(func.coalesce(func.sum(_orders.c.amount), 0.0))
    .where(
        _orders.c.customer_id == _CUSTOMER,
        _orders.c.status == "open",
        _orders.c.order_date <= _TODAY,
    )
    .scalar_subquery()
    .label("open_orders"),
).where(_customers.c.customer_id == _CUSTOMER)
_INVOICE_QUERY = (
    select(
        _invoices.c.invoice_id,
        _invoices.c.amount,
        _invoices.c.due_date,
        _invoices.c.invoice_date,
        _invoices.c.written_off_date,
        _invoices.c.paid_date,
        _invoices.c.reference_invoice_id,
        _payments.c.payment_date,
        _payments.c.amount,
    )
    .select_from(_invoices.outerjoin(_payments, _payments.c.invoice_id == _invoices.c.invoice_id))
    .where(_invoices.c.customer_id == _CUSTOMER, _invoices.c.invoice_date <= _TODAY)
)
