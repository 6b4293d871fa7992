"""Synthetic invoicing, payment behaviour and orders for one chunk of customers.

Payment behaviour is driven by the customer's risk ``z`` in the month the payment is decided
(the payment run before the due date, or the issue month for early-payment discounts), never
later: anything visible in the ledger on a date reflects only the state known at that date.
Behaviour changes only with the stop-paying event itself (see ``risk``): from day ``F``
the customer pays nothing falling due on or after ``F``, settles older invoices at the last
moment, and invoicing stops once the first unpaid invoice is ``SUPPLY_STOP_DAYS`` overdue.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ledger.schema import ORDER_STATUSES
from ledger.synth.config import DAYS_PER_MONTH, NO_DAY, Calendar
from ledger.synth.customers import AMOUNT_SIGMA, Customers
from ledger.synth.risk import DEFAULT_DPD, RiskPath
from ledger.synth.world import NON_STANDARD_TERMS, SEASONALITY

NON_STANDARD_SHARE = 0.03  # invoices not on the customer's standard terms
MIN_AMOUNT_CENTS = 500
# Payment delay (days after due) = DELAY_PER_Z · (z - DELAY_CENTER) + right-skewed noise:
# customers pay with a habit that worsens with their risk, so their delays reveal it.
DELAY_PER_Z = 10.0
DELAY_CENTER = 0.45
DELAY_NOISE_SD = 3.0  # normal part of the noise
DELAY_TAIL_DAYS = 3.0  # mean of the exponential (late-tail) part of the noise
MAX_DAYS_EARLY = 7  # paying early saturates: nobody pays weeks ahead of the due date
# Payments are decided in the payment run before the due date, with the risk of that month.
DECISION_LEAD_DAYS = MAX_DAYS_EARLY
# Kept below 90 days past due so that 90 days past due unpaid always means a default.
MAX_DAYS_LATE = DEFAULT_DPD - 1
# After the stop the customer keeps paying invoices due before it, but only at the last moment.
STRETCHED_DAYS_LATE = (60, MAX_DAYS_LATE)
# 2/10 net 30: P(take the discount) = sigmoid(DISCOUNT_BASE - DISCOUNT_SLOPE · z), paid by day 10.
DISCOUNT_BASE = 1.2
DISCOUNT_SLOPE = 1.0
# Disputes: P = DISPUTE_RATE · exp(DISPUTE_SLOPE · z), delaying payment 10–45 days.
DISPUTE_RATE = 0.025
DISPUTE_SLOPE = 0.25
# Partial payments (2–3 instalments): P = PARTIAL_RATE · exp(PARTIAL_SLOPE · z).
PARTIAL_RATE = 0.06
PARTIAL_SLOPE = 0.3
SUPPLY_STOP_DAYS = 60  # invoicing stops when the first unpaid invoice is this many days overdue
WRITE_OFF_DAYS = (60, 150)  # write-off this many days after the default date
ORDER_WINDOW_DAYS = 90  # the orders file covers the last 90 days
OPEN_ORDER_DAYS = 30  # open (not yet invoiced) orders are from the last 30 days
OPEN_ORDER_SHARE = 0.7  # open orders relative to a month's invoicing
CANCELLED_SHARE = 0.04


@dataclass(frozen=True)
class Invoices:
    customer: np.ndarray  # index in the chunk
    invoice_day: np.ndarray
    due_day: np.ndarray
    amount_cents: np.ndarray
    dispute_day: np.ndarray  # NO_DAY = not disputed (as of the ledger end)
    written_off_day: np.ndarray  # NO_DAY = not written off


@dataclass(frozen=True)
class Payments:
    invoice: np.ndarray  # index into the chunk's invoices
    payment_day: np.ndarray
    amount_cents: np.ndarray


@dataclass(frozen=True)
class Orders:
    customer: np.ndarray
    order_day: np.ndarray
    amount_cents: np.ndarray
    status: np.ndarray  # index into ledger.schema.ORDER_STATUSES


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _amounts(mu: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    cents = np.round(np.exp(mu + AMOUNT_SIGMA * rng.standard_normal(len(mu))) * 100.0)
    return np.maximum(cents, MIN_AMOUNT_CENTS).astype(np.int64)


def invoicing_window(
    customers: Customers, path: RiskPath, cal: Calendar
) -> tuple[np.ndarray, np.ndarray]:
    """First and last possible invoice day per customer (last < first: never invoiced)."""
    first = np.maximum(customers.onboarding_day, cal.start_day)
    supply_stop = np.where(path.stop_day == NO_DAY, NO_DAY, path.stop_day + SUPPLY_STOP_DAYS)
    last = np.minimum(cal.end_day, supply_stop - 1)
    return first, last


@dataclass(frozen=True)
class InvoiceDraft:
    """Invoices before payment behaviour is applied."""

    customer: np.ndarray  # index in the chunk
    invoice_day: np.ndarray
    due_day: np.ndarray
    amount_cents: np.ndarray
    z: np.ndarray  # customer's risk in the month of issue
    discount: np.ndarray  # 2/10 net 30 terms apply
    stop_invoice: np.ndarray  # the invoice due on the stop day F (never paid)


def draw_invoices(
    customers: Customers, path: RiskPath, cal: Calendar, rng: np.random.Generator
) -> InvoiceDraft:
    """Invoices: a Poisson number per customer-month (rate by size × seasonality) on uniform
    days, plus for every customer that stops paying the invoice due on its stop day."""
    months = cal.months
    first, last = invoicing_window(customers, path, cal)
    lo = np.maximum(cal.month_start[:months][None, :], first[:, None])
    hi = np.minimum(cal.month_start[1 : months + 1][None, :] - 1, last[:, None])
    active_days = np.maximum(hi - lo + 1, 0)
    season = SEASONALITY[cal.calendar_month[:months] - 1]
    expected = (
        customers.invoice_rate[:, None] * season[None, :] * active_days / cal.month_days[:months]
    )
    counts = rng.poisson(expected).ravel()
    cell = np.repeat(np.arange(counts.size), counts)
    cust = cell // months
    offset = np.floor(rng.random(cell.size) * active_days.ravel()[cell]).astype(np.int64)
    day = lo.ravel()[cell] + offset
    odd = rng.random(cell.size) < NON_STANDARD_SHARE
    odd_terms = np.array(NON_STANDARD_TERMS)[rng.integers(0, len(NON_STANDARD_TERMS), cell.size)]
    due = day + np.where(odd, odd_terms, customers.terms[cust])
    discount = customers.discount[cust] & ~odd

    stopper = np.flatnonzero(path.stop_day != NO_DAY)
    stop_due = path.stop_day[stopper]
    stop_issued = np.maximum(stop_due - customers.terms[stopper], first[stopper])
    in_ledger = stop_issued <= cal.end_day
    stopper, stop_due, stop_issued = stopper[in_ledger], stop_due[in_ledger], stop_issued[in_ledger]

    cust = np.concatenate([cust, stopper])
    day = np.concatenate([day, stop_issued])
    due = np.concatenate([due, stop_due])
    discount = np.concatenate([discount, np.zeros(stopper.size, dtype=bool)])
    stop_invoice = np.concatenate(
        [np.zeros(cell.size, dtype=bool), np.ones(stopper.size, dtype=bool)]
    )
    amount = _amounts(customers.amount_mu[cust], rng)
    order = np.lexsort((amount, day, cust))
    cust, day = cust[order], day[order]
    return InvoiceDraft(
        customer=cust,
        invoice_day=day,
        due_day=due[order],
        amount_cents=amount[order],
        z=path.z[cust, cal.month_of(day)],
        discount=discount[order],
        stop_invoice=stop_invoice[order],
    )


def draw_payments(
    draft: InvoiceDraft, path: RiskPath, cal: Calendar, rng: np.random.Generator
) -> tuple[Invoices, Payments]:
    """Payment behaviour, disputes, partial payments, the stop and write-offs."""
    n = draft.customer.size
    inv_day, due = draft.invoice_day, draft.due_day
    terms = due - inv_day
    # Risk when the payment is decided: in the payment run before the due date (at issue for
    # the early-payment discount), so whatever is paid by a date reflects the state known then.
    decision_day = np.maximum(inv_day, due - DECISION_LEAD_DAYS)
    decided = np.minimum(cal.month_of(decision_day), cal.months - 1)
    z = path.z[draft.customer, decided]

    noise = (
        rng.normal(0.0, DELAY_NOISE_SD, n) + rng.exponential(DELAY_TAIL_DAYS, n) - DELAY_TAIL_DAYS
    )
    delay = DELAY_PER_Z * (z - DELAY_CENTER) + noise
    early = np.minimum(np.floor(MAX_DAYS_EARLY * (1.0 - np.exp(-np.abs(delay) / 8.0))), terms)
    late = np.minimum(np.ceil(delay), MAX_DAYS_LATE)
    pay = (due + np.where(delay > 0, late, -early)).astype(np.int64)
    takes_discount = draft.discount & (
        rng.random(n) < _sigmoid(DISCOUNT_BASE - DISCOUNT_SLOPE * draft.z)
    )
    pay = np.where(takes_discount, inv_day + rng.integers(5, 11, n), pay)

    # Disputes are raised soon after issue, so they depend on the risk at issue.
    disputed = rng.random(n) < np.minimum(DISPUTE_RATE * np.exp(DISPUTE_SLOPE * draft.z), 0.25)
    dispute_day = inv_day + 1 + np.floor(rng.random(n) * np.clip(terms, 1, 30)).astype(np.int64)
    delayed = np.maximum(pay, dispute_day + 1) + rng.integers(10, 46, n)
    pay = np.where(disputed, np.minimum(delayed, due + MAX_DAYS_LATE), pay)

    # After the stop on day F, invoices due before F are settled only at the last moment.
    stop = path.stop_day[draft.customer]
    last_moment = due + rng.integers(STRETCHED_DAYS_LATE[0], STRETCHED_DAYS_LATE[1] + 1, n)
    pay = np.where((due < stop) & (pay >= stop), np.maximum(pay, last_moment), pay)

    partial = rng.random(n) < np.minimum(PARTIAL_RATE * np.exp(PARTIAL_SLOPE * z), 0.5)
    instalments = np.where(partial, np.where(rng.random(n) < 0.6, 2, 3), 1)
    payments = _instalments(pay, due + MAX_DAYS_LATE, draft.amount_cents, instalments, rng)
    final_day = payments.payment_day[np.cumsum(instalments) - 1]

    # Nothing falling due on/after F is paid from F on (what was paid before stands), and not a
    # cent of the invoice due on F.
    unpaid = ((due >= stop) & (final_day >= stop)) | draft.stop_invoice
    row_invoice = payments.invoice
    before_stop = (payments.payment_day < stop[row_invoice]) & ~draft.stop_invoice[row_invoice]
    keep = (~unpaid[row_invoice] | before_stop) & (payments.payment_day <= cal.end_day)
    payments = Payments(row_invoice[keep], payments.payment_day[keep], payments.amount_cents[keep])

    default_day = path.default_day
    write_off = default_day + rng.integers(
        WRITE_OFF_DAYS[0], WRITE_OFF_DAYS[1] + 1, default_day.size
    )
    write_off = np.where((default_day != NO_DAY) & (write_off <= cal.end_day), write_off, NO_DAY)
    invoices = Invoices(
        customer=draft.customer,
        invoice_day=inv_day,
        due_day=due,
        amount_cents=draft.amount_cents,
        dispute_day=np.where(disputed & (dispute_day <= cal.end_day), dispute_day, NO_DAY),
        written_off_day=np.where(unpaid, write_off[draft.customer], NO_DAY),
    )
    return invoices, payments


def _instalments(
    first_day: np.ndarray,
    latest_day: np.ndarray,
    total: np.ndarray,
    count: np.ndarray,
    rng: np.random.Generator,
) -> Payments:
    """Split each invoice's payment into ``count`` instalments: the first on ``first_day``, the
    next ones 7–30 days apart but not after ``latest_day``; amounts in whole cents summing
    exactly to ``total``. Rows come grouped by invoice, in date order."""
    n = count.size
    share1 = np.where(count == 2, rng.uniform(0.2, 0.6, n), rng.uniform(0.15, 0.4, n))
    share2 = rng.uniform(0.15, 0.4, n)
    first_cents = np.where(count > 1, np.round(total * share1), total).astype(np.int64)
    second_cents = np.where(count == 3, np.round(total * share2), 0).astype(np.int64)
    last_cents = total - np.where(count > 1, first_cents, 0) - second_cents
    gap1 = rng.integers(7, 31, n)
    gap2 = rng.integers(7, 31, n)

    invoice = np.repeat(np.arange(n), count)
    k = np.arange(invoice.size) - np.repeat(np.cumsum(count) - count, count)  # 0 = first
    c = count[invoice]
    amount = np.select(
        [c == 1, k == c - 1, k == 0],
        [total[invoice], last_cents[invoice], first_cents[invoice]],
        second_cents[invoice],
    )
    after = np.select([k == 0, k == 1], [0, gap1[invoice]], gap1[invoice] + gap2[invoice])
    day = np.minimum(first_day[invoice] + after, np.maximum(latest_day, first_day)[invoice])
    return Payments(invoice, day.astype(np.int64), amount.astype(np.int64))


def draw_orders(
    customers: Customers,
    path: RiskPath,
    invoices: Invoices,
    cal: Calendar,
    rng: np.random.Generator,
) -> Orders:
    """Orders of the last 90 days: the ones behind recent invoices (``invoiced``), a few
    ``cancelled``, and ``open`` ones of the last 30 days for customers still being supplied."""
    window_start = cal.end_day - ORDER_WINDOW_DAYS + 1
    lead = rng.integers(0, 11, invoices.customer.size)
    order_day = np.maximum(invoices.invoice_day - lead, customers.onboarding_day[invoices.customer])
    recent = order_day >= window_start
    inv_cust, inv_day, inv_amount = (
        invoices.customer[recent],
        order_day[recent],
        invoices.amount_cents[recent],
    )

    cancelled = rng.random(inv_cust.size) < CANCELLED_SHARE
    can_cust = inv_cust[cancelled]
    can_day = np.clip(
        inv_day[cancelled] + rng.integers(-5, 6, can_cust.size), window_start, cal.end_day
    )
    can_day = np.maximum(can_day, customers.onboarding_day[can_cust])
    can_amount = _amounts(customers.amount_mu[can_cust], rng)

    _, last = invoicing_window(customers, path, cal)
    supplied = (last == cal.end_day) & (customers.onboarding_day <= cal.end_day)
    season = SEASONALITY[cal.calendar_month[cal.months - 1] - 1]
    expected = customers.invoice_rate * season * OPEN_ORDER_DAYS / DAYS_PER_MONTH * OPEN_ORDER_SHARE
    counts = np.where(supplied, rng.poisson(expected), 0)
    open_cust = np.repeat(np.arange(len(customers)), counts)
    open_day = np.maximum(
        cal.end_day - rng.integers(0, OPEN_ORDER_DAYS, open_cust.size),
        customers.onboarding_day[open_cust],
    )
    open_amount = _amounts(customers.amount_mu[open_cust], rng)

    status = np.concatenate(
        [
            np.full(inv_cust.size, ORDER_STATUSES.index("invoiced")),
            np.full(can_cust.size, ORDER_STATUSES.index("cancelled")),
            np.full(open_cust.size, ORDER_STATUSES.index("open")),
        ]
    )
    return Orders(
        customer=np.concatenate([inv_cust, can_cust, open_cust]),
        order_day=np.concatenate([inv_day, can_day, open_day]).astype(np.int64),
        amount_cents=np.concatenate([inv_amount, can_amount, open_amount]),
        status=status,
    )
