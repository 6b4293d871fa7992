"""Credit notes (negative invoice lines) netted against what the customer owes.

The convention, one for every reader (features, labels, aging, the limit check):

* A credit note counts from its issue date (``invoice_date``) and never before.
* On that day it is applied to the invoice it names (``reference_invoice_id``) up to that
  invoice's open amount, then to the customer's other open invoices **oldest first** (earliest
  due date, then issue date, then id): what a clerk clearing the account would do.
* "Open on that day" means issued by then, not written off by then, less the payments and
  credits received by then: the allocation only uses what was known on the credit's date, so
  it is point-in-time at every later date too.
* What finds nothing open stays on the account as **unapplied credit**: it lowers the
  customer's net exposure from its date on, and is not allocated to invoices issued later.

An applied credit reduces the invoice's open amount like a payment and can settle it (on the
credit's date), but it is not a payment: payment statistics never see it. Credit notes are
never invoices a customer could pay late, so no invoice feature, label or worklist row is
made of one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Below half a cent an invoice is settled and a credit used up (float sums of instalments).
CREDIT_TOLERANCE: Final = 0.005


@dataclass
class OpenItem:
    """One invoice of a customer as the allocation sees it."""

    invoice_id: str
    issued: dt.date
    due: dt.date
    amount: float
    written_off: dt.date | None
    payments: list[tuple[dt.date, float]] = field(default_factory=list)
    credited: float = 0.0  # applied by earlier credit notes

    def open_on(self, day: dt.date) -> float:
        """What is still owed at the end of ``day`` (0 when not yet issued or written off)."""
        if self.issued > day or (self.written_off is not None and self.written_off <= day):
            return 0.0
        paid = sum(amount for paid_on, amount in self.payments if paid_on <= day)
        left = self.amount - paid - self.credited
        return left if left > CREDIT_TOLERANCE else 0.0


@dataclass(frozen=True)
class CreditNote:
    """One credit note: its id, issue day, amount (positive: what it credits) and reference."""

    credit_note_id: str
    day: dt.date
    amount: float
    reference_invoice_id: str | None = None


@dataclass(frozen=True)
class Application:
    """Part of a credit note applied to an invoice on the credit's day."""

    credit_note_id: str
    invoice_id: str
    day: dt.date
    amount: float


def allocate(
    items: Sequence[OpenItem], credits: Iterable[CreditNote]
) -> tuple[list[Application], list[tuple[CreditNote, float]]]:
    """Apply one customer's credit notes to its invoices (the module's convention).

    Returns the applications and, per credit note with something left, the unapplied amount.
    ``items`` are updated (``credited``) as credits are applied.
    """
    by_id = {item.invoice_id: item for item in items}
    oldest_first = sorted(items, key=lambda i: (i.due, i.issued, i.invoice_id))
    applications: list[Application] = []
    unapplied: list[tuple[CreditNote, float]] = []
    for credit in sorted(credits, key=lambda c: (c.day, c.credit_note_id)):
        left = credit.amount
        named = by_id.get(credit.reference_invoice_id or "")
        targets = ([named] if named is not None else []) + [
            i for i in oldest_first if i is not named
        ]
        for item in targets:
            if left <= CREDIT_TOLERANCE:
                break
            take = min(left, item.open_on(credit.day))
            if take <= 0:
                continue
            item.credited += take
            left -= take
            applications.append(
                Application(credit.credit_note_id, item.invoice_id, credit.day, take)
            )
        if left > CREDIT_TOLERANCE:
            unapplied.append((credit, left))
    return applications, unapplied


@dataclass(frozen=True)
class CreditAllocation:
    """Every credit note of a ledger netted: ``applied`` (credit_note_id, invoice_id,
    customer_id, date, amount) and ``unapplied`` (credit_note_id, customer_id, date, amount),
    amounts positive."""

    applied: pd.DataFrame
    unapplied: pd.DataFrame

    @classmethod
    def empty(cls) -> CreditAllocation:
        """No credit notes: built once and shared (frames are never modified in place), since
        building empty typed frames costs more than a one-customer feature read."""
        global _EMPTY
        if _EMPTY is None:
            _EMPTY = cls(_applied_frame([]), _unapplied_frame([]))
        return _EMPTY


_EMPTY: CreditAllocation | None = None


def allocate_frames(
    invoices: pd.DataFrame, payments: pd.DataFrame, credit_notes: pd.DataFrame
) -> CreditAllocation:
    """:func:`allocate` for every customer with credit notes, from canonical ledger frames
    (``payments`` including those implied by ``paid_date``).

    Only invoices open (by their payments and write-off alone) on at least one of their
    customer's credit days are handed to :func:`allocate`: every other invoice is open on none
    of them, so it could take nothing, and on a long book they are nearly all of them.
    """
    if credit_notes.empty:
        return CreditAllocation.empty()
    inv = invoices[_isin(invoices["customer_id"], credit_notes["customer_id"])]
    pay = payments[_isin(payments["invoice_id"], inv["invoice_id"])]
    inv = inv[_open_on_a_credit_day(inv, pay, credit_notes)]
    items = _open_items(inv, pay[_isin(pay["invoice_id"], inv["invoice_id"])])

    credits: dict[str, list[CreditNote]] = {}
    for credit_id, customer, day, amount, reference in zip(
        credit_notes["invoice_id"].tolist(),
        credit_notes["customer_id"].tolist(),
        _dates(credit_notes["invoice_date"]),
        credit_notes["amount"].tolist(),
        credit_notes["reference_invoice_id"].tolist(),
        strict=True,
    ):
        ref = None if reference is None or pd.isna(reference) else str(reference)
        credits.setdefault(customer, []).append(CreditNote(credit_id, day, -amount, ref))
    applied: list[tuple[str, str, str, dt.date, float]] = []
    unapplied: list[tuple[str, str, dt.date, float]] = []
    for customer, notes in credits.items():
        done, left = allocate(items.get(customer, []), notes)
        applied += [(a.credit_note_id, a.invoice_id, customer, a.day, a.amount) for a in done]
        unapplied += [(c.credit_note_id, customer, c.day, amount) for c, amount in left]
    return CreditAllocation(_applied_frame(applied), _unapplied_frame(unapplied))


def _open_on_a_credit_day(
    inv: pd.DataFrame, pay: pd.DataFrame, credit_notes: pd.DataFrame
) -> np.ndarray:
    """Whether each invoice is issued by, and not yet closed by payments or write-off on, some
    credit day of its customer: the first credit day on or after its issue date comes before
    the day its payments reach its amount and before its write-off."""
    issued = pd.Series(inv["invoice_date"].to_numpy(), index=inv["invoice_id"].to_numpy())
    p = pd.DataFrame(
        {
            "invoice_id": pay["invoice_id"].to_numpy(dtype=object),
            "day": np.maximum(
                pay["payment_date"].to_numpy(), issued.reindex(pay["invoice_id"]).to_numpy()
            ),
            "amount": pay["amount"].to_numpy(),
        }
    ).sort_values(["invoice_id", "day"], kind="stable")
    p["paid"] = p.groupby("invoice_id", sort=False)["amount"].cumsum()
    due = pd.Series(inv["amount"].to_numpy(), index=inv["invoice_id"].to_numpy())
    reached = p[p["paid"].to_numpy() >= due.reindex(p["invoice_id"]).to_numpy() - CREDIT_TOLERANCE]
    settled = reached.groupby("invoice_id", sort=False)["day"].min()
    closes = np.fmin(
        settled.reindex(inv["invoice_id"].to_numpy()).to_numpy(),
        inv["written_off_date"].to_numpy(),
    )  # NaT: never closes
    left = pd.DataFrame(
        {
            "row": np.arange(len(inv)),
            "customer_id": inv["customer_id"].to_numpy(dtype=object),
            "day": inv["invoice_date"].to_numpy(),
        }
    ).sort_values("day", kind="stable")
    right = pd.DataFrame(
        {
            "customer_id": credit_notes["customer_id"].to_numpy(dtype=object),
            "day": credit_notes["invoice_date"].to_numpy(),
            "credit_day": credit_notes["invoice_date"].to_numpy(),
        }
    ).sort_values("day", kind="stable")
    nearest = pd.merge_asof(left, right, on="day", by="customer_id", direction="forward")
    next_credit = np.empty(len(inv), dtype="datetime64[ns]")
    next_credit[nearest["row"].to_numpy()] = nearest["credit_day"].to_numpy()
    with np.errstate(invalid="ignore"):
        return ~np.isnat(next_credit) & (np.isnat(closes) | (next_credit < closes))


def _open_items(inv: pd.DataFrame, payments: pd.DataFrame) -> dict[str, list[OpenItem]]:
    """The invoices of ``inv`` with their payments, by customer."""
    pay = payments[_isin(payments["invoice_id"], inv["invoice_id"])]
    paid_on: dict[str, list[tuple[dt.date, float]]] = {}
    for invoice_id, day, amount in zip(
        pay["invoice_id"].tolist(),
        _dates(pay["payment_date"]),
        pay["amount"].tolist(),
        strict=True,
    ):
        paid_on.setdefault(invoice_id, []).append((day, amount))
    items: dict[str, list[OpenItem]] = {}
    for invoice_id, customer, day, due, amount, written_off in zip(
        inv["invoice_id"].tolist(),
        inv["customer_id"].tolist(),
        _dates(inv["invoice_date"]),
        _dates(inv["due_date"]),
        inv["amount"].tolist(),
        _optional_dates(inv["written_off_date"]),
        strict=True,
    ):
        # A payment counts from the invoice's date at the earliest (as in the features).
        payments_of = [(max(paid, day), a) for paid, a in paid_on.get(invoice_id, [])]
        items.setdefault(customer, []).append(
            OpenItem(invoice_id, day, due, amount, written_off, payments_of)
        )
    return items


def _isin(values: pd.Series, pool: pd.Series | pd.Index) -> np.ndarray:
    """``values.isin(pool)`` for text ids through Arrow (pandas loops over Arrow strings)."""
    found = pc.is_in(
        pa.array(pd.Series(values, dtype="str").array),
        value_set=pa.array(pd.Series(pool, dtype="str").array),
    )
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def _dates(series: pd.Series) -> list[dt.date]:
    """A required date column as ``datetime.date`` values."""
    days = series.to_numpy(dtype="datetime64[D]")
    out: list[dt.date] = days.astype(object).tolist()
    return out


def _optional_dates(series: pd.Series) -> list[dt.date | None]:
    """An optional date column: ``None`` where missing."""
    return list(_dates(series))


def _applied_frame(rows: list[tuple[str, str, str, dt.date, float]]) -> pd.DataFrame:
    columns = ["credit_note_id", "invoice_id", "customer_id", "date", "amount"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype(
        {
            "credit_note_id": "str",
            "invoice_id": "str",
            "customer_id": "str",
            "date": "datetime64[ns]",
            "amount": np.float64,
        }
    )


def _unapplied_frame(rows: list[tuple[str, str, dt.date, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["credit_note_id", "customer_id", "date", "amount"])
    return frame.astype(
        {
            "credit_note_id": "str",
            "customer_id": "str",
            "date": "datetime64[ns]",
            "amount": np.float64,
        }
    )
