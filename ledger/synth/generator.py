"""The synthetic ledger's entry points: ``generate`` a ledger with its ground truth, ``write`` it.

``generate`` draws customers in chunks (each chunk with its own random stream spawned from the
seed, so memory stays bounded and the output is deterministic), then numbers everything the way
an ERP would: customers by onboarding date, invoices, payments and orders by date.

The ground truth (``truth``) has one row per customer and month start ``T`` from onboarding
(or the ledger start) until the customer defaults: ``true_pd_12m`` is the generator's own
probability, given its hidden state at ``T``, that the customer's first invoice reaching 90
days past due unpaid does so in ``(T, T + 12 months]`` (the best any model can do), and
``defaulted_on`` is the day that actually happened (empty: no default by the ledger end).
See ``risk`` for the mechanics and ``activity`` for invoicing and payments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ledger.frames import Ledger
from ledger.schema import ORDER_STATUSES
from ledger.synth.activity import (
    Invoices,
    Orders,
    Payments,
    draw_invoices,
    draw_orders,
    draw_payments,
)
from ledger.synth.config import NO_DAY, Calendar, SynthConfig, to_datetime64
from ledger.synth.customers import Customers, draw_customers
from ledger.synth.io import write_result
from ledger.synth.risk import TruthRows, simulate_risk, truth_rows
from ledger.synth.world import COUNTRIES, INDUSTRIES

__all__ = ["SynthResult", "generate", "write"]


@dataclass(frozen=True)
class SynthResult:
    """The generated ledger (canonical dtypes) and its ground truth
    (``customer_id, month, true_pd_12m, defaulted_on``; see the module docstring)."""

    ledger: Ledger
    truth: pd.DataFrame  # customer_id, month, true_pd_12m, defaulted_on
    config: SynthConfig = field(default_factory=SynthConfig)

    @property
    def as_of(self) -> date:
        """The ledger's last day: nothing in it happened later."""
        return self.config.end


@dataclass(frozen=True)
class _Chunk:
    customers: Customers
    invoices: Invoices
    payments: Payments
    orders: Orders
    truth: TruthRows
    default_day: np.ndarray  # per customer, NO_DAY if no default within the ledger


def generate(config: SynthConfig) -> SynthResult:
    """Generate the ledger and truth described by ``config`` (deterministic for a config)."""
    cal = Calendar.build(config.end, config.months)
    n_chunks = -(-config.customers // config.chunk_customers)
    streams = np.random.SeedSequence(config.seed).spawn(n_chunks)
    chunks = []
    for c, stream in enumerate(streams):
        size = min(config.chunk_customers, config.customers - c * config.chunk_customers)
        chunks.append(_generate_chunk(size, config, cal, np.random.default_rng(stream)))
    return _assemble(chunks, config, cal)


def write(
    result: SynthResult, out_dir: Path, fmt: Literal["csv", "parquet"] = "csv"
) -> dict[str, Path]:
    """Write customers, invoices, payments and orders as ``fmt`` files and ``truth.csv`` into
    ``out_dir`` (created if needed). CSV: dates YYYY-MM-DD, ids as text, empty = missing.
    Files appear only once all were written. Returns entity name (and "truth") → path."""
    return write_result(result.ledger, result.truth, Path(out_dir), fmt)


def _generate_chunk(n: int, config: SynthConfig, cal: Calendar, rng: np.random.Generator) -> _Chunk:
    customers = draw_customers(n, config, cal, rng)
    path = simulate_risk(customers, config, cal, rng)
    draft = draw_invoices(customers, path, cal, rng)
    invoices, payments = draw_payments(draft, path, cal, rng)
    orders = draw_orders(customers, path, invoices, cal, rng)
    truth = truth_rows(customers, path, config, cal)
    default_day = np.where(path.default_day <= cal.end_day, path.default_day, NO_DAY)
    return _Chunk(customers, invoices, payments, orders, truth, default_day)


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Zero-padded text ids (``C000123``), built in Arrow: far faster than Python strings."""
    digits = pc.cast(pa.array(numbers, type=pa.int64()), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(digits, width, "0"), "")


def _width(count: int, minimum: int) -> int:
    return max(minimum, len(str(max(count, 1))))


def _text(values: pa.Array | np.ndarray) -> pd.Series:
    return pd.Series(values, dtype="str")


def _repeated_text(value: str, n: int) -> pd.Series:
    return _text(pa.array([value]).take(pa.array(np.zeros(n, dtype=np.int64))))


def _money(cents: np.ndarray) -> np.ndarray:
    return cents / 100.0


def _offsets(sizes: list[int]) -> np.ndarray:
    """Start of each chunk's rows in the concatenated arrays."""
    return np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)


def _join(parts: list[np.ndarray], offsets: np.ndarray | None = None) -> np.ndarray:
    """Concatenate per-chunk arrays; chunk-local indices are shifted by ``offsets``."""
    if offsets is None:
        return np.concatenate(parts)
    return np.concatenate([p + o for p, o in zip(parts, offsets, strict=True)])


def _in_order(*keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row order sorting by ``keys`` (first key most significant), and each row's position."""
    order = np.lexsort(keys[::-1])
    position = np.empty(order.size, dtype=np.int64)
    position[order] = np.arange(order.size)
    return order, position


def _assemble(chunks: list[_Chunk], config: SynthConfig, cal: Calendar) -> SynthResult:
    """Concatenate the chunks and number customers, invoices, payments and orders the way an
    ERP would: customers by onboarding date, the others by date."""
    customers = [c.customers for c in chunks]
    invoices = [c.invoices for c in chunks]
    payments = [c.payments for c in chunks]
    orders = [c.orders for c in chunks]
    cust_offset = _offsets([len(c) for c in customers])
    inv_offset = _offsets([i.customer.size for i in invoices])

    onboarding = _join([c.onboarding_day for c in customers])
    _, cust_position = _in_order(onboarding, np.arange(onboarding.size))
    cust_ids = _ids("C", cust_position + 1, _width(onboarding.size, 6))

    inv_cust = _join([i.customer for i in invoices], cust_offset)
    inv_day = _join([i.invoice_day for i in invoices])
    inv_order, inv_position = _in_order(inv_day, cust_position[inv_cust])
    inv_ids = _ids("INV", np.arange(1, inv_order.size + 1), _width(inv_order.size, 8))
    dispute_day = _join([i.dispute_day for i in invoices])[inv_order]
    invoice_frame = pd.DataFrame(
        {
            "invoice_id": _text(inv_ids),
            "customer_id": _text(pc.take(cust_ids, inv_cust[inv_order])),
            "invoice_date": to_datetime64(inv_day[inv_order]),
            "due_date": to_datetime64(_join([i.due_day for i in invoices])[inv_order]),
            "amount": _money(_join([i.amount_cents for i in invoices])[inv_order]),
            "currency": _repeated_text(config.currency, inv_order.size),
            "disputed": dispute_day != NO_DAY,
            "dispute_date": to_datetime64(dispute_day),
            "written_off_date": to_datetime64(
                _join([i.written_off_day for i in invoices])[inv_order]
            ),
        }
    )

    pay_invoice = inv_position[_join([p.invoice for p in payments], inv_offset)]
    pay_day = _join([p.payment_day for p in payments])
    pay_order, _ = _in_order(pay_day, pay_invoice)
    payment_frame = pd.DataFrame(
        {
            "payment_id": _text(
                _ids("PAY", np.arange(1, pay_order.size + 1), _width(pay_order.size, 8))
            ),
            "invoice_id": _text(pc.take(inv_ids, pay_invoice[pay_order])),
            "payment_date": to_datetime64(pay_day[pay_order]),
            "amount": _money(_join([p.amount_cents for p in payments])[pay_order]),
        }
    )

    ord_cust = _join([o.customer for o in orders], cust_offset)
    ord_day = _join([o.order_day for o in orders])
    ord_order, _ = _in_order(ord_day, cust_position[ord_cust])
    status = np.array(ORDER_STATUSES)[_join([o.status for o in orders])]
    order_frame = pd.DataFrame(
        {
            "order_id": _text(
                _ids("SO", np.arange(1, ord_order.size + 1), _width(ord_order.size, 7))
            ),
            "customer_id": _text(pc.take(cust_ids, ord_cust[ord_order])),
            "order_date": to_datetime64(ord_day[ord_order]),
            "amount": _money(_join([o.amount_cents for o in orders])[ord_order]),
            "status": _text(status[ord_order]),
        }
    )

    if config.credit_note_share > 0:
        invoice_frame = pd.concat(
            [invoice_frame, _credit_notes(invoice_frame, config)], ignore_index=True
        )
    ledger = Ledger.from_frames(
        _customers_frame(customers, cust_ids, config), invoice_frame, payment_frame, order_frame
    )
    truth = _truth_frame(chunks, cust_offset, cust_position, cust_ids, cal)
    return SynthResult(ledger=ledger, truth=truth, config=config)


# Credit notes draw from a stream of their own: the rest of the ledger is the same with or
# without them.
_CREDIT_NOTE_STREAM = 7


def _credit_notes(invoices: pd.DataFrame, config: SynthConfig) -> pd.DataFrame:
    """Credit notes on ``credit_note_share`` of the invoices: 5-30 % of the invoice, 3-45 days
    after it (never after the ledger's end), 70 % naming the invoice they credit."""
    rng = np.random.default_rng([config.seed, _CREDIT_NOTE_STREAM])
    picked = invoices[rng.random(len(invoices)) < config.credit_note_share]
    picked = picked[picked["written_off_date"].isna()]
    n = len(picked)
    day = picked["invoice_date"] + pd.to_timedelta(rng.integers(3, 46, n), unit="D")
    day = day.where(day <= pd.Timestamp(config.end), pd.Timestamp(config.end))
    cents = np.round(picked["amount"].to_numpy() * rng.uniform(0.05, 0.30, n) * 100.0)
    names = rng.random(n) < 0.7
    return pd.DataFrame(
        {
            "invoice_id": _text(_ids("CN", np.arange(1, n + 1), _width(n, 7))),
            "customer_id": picked["customer_id"].to_numpy(),
            "invoice_date": day.to_numpy(),
            "due_date": day.to_numpy(),
            "amount": -np.maximum(cents, 1.0) / 100.0,
            "currency": picked["currency"].to_numpy(),
            "disputed": False,
            "reference_invoice_id": picked["invoice_id"].where(names).to_numpy(),
        }
    )


def _customers_frame(
    customers: list[Customers], cust_ids: pa.Array, config: SynthConfig
) -> pd.DataFrame:
    country_codes = np.array([c.code for c in COUNTRIES])
    industry_labels = np.array([i.label for i in INDUSTRIES])
    frame = pd.DataFrame(
        {
            "customer_id": _text(cust_ids),
            "name": _text(_join([c.name for c in customers])),
            "country": _text(country_codes[_join([c.country for c in customers])]),
            "industry": _text(industry_labels[_join([c.industry for c in customers])]),
            "onboarding_date": to_datetime64(_join([c.onboarding_day for c in customers])),
            "payment_terms_days": _join([c.terms for c in customers]),
            "credit_limit": _join([c.credit_limit for c in customers]),
            "currency": config.currency,
        }
    )
    for column in customers[0].profile:
        frame[column] = _join([c.profile[column] for c in customers])
    return frame.sort_values("customer_id", kind="stable", ignore_index=True)


def _truth_frame(
    chunks: list[_Chunk],
    cust_offset: np.ndarray,
    cust_position: np.ndarray,
    cust_ids: pa.Array,
    cal: Calendar,
) -> pd.DataFrame:
    cust = _join([c.truth.customer for c in chunks], cust_offset)
    month = _join([c.truth.month for c in chunks])
    order, _ = _in_order(cust_position[cust], month)
    cust, month = cust[order], month[order]
    default_day = _join([c.default_day for c in chunks])
    return pd.DataFrame(
        {
            "customer_id": _text(pc.take(cust_ids, cust)),
            "month": to_datetime64(cal.month_start[month]),
            "true_pd_12m": np.round(_join([c.truth.pd_12m for c in chunks])[order], 9),
            "defaulted_on": to_datetime64(default_day[cust]),
        }
    )
