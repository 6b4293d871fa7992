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
    (``payments`` including those implied by ``paid_date``)."""
    if credit_notes.empty:
        return CreditAllocation.empty()
    customers = credit_notes["customer_id"].unique()
    inv = invoices[invoices["customer_id"].isin(customers)]
    pay = payments[payments["invoice_id"].isin(inv["invoice_id"])]
    paid_on: dict[str, list[tuple[dt.date, float]]] = {}
    for invoice_id, day, amount in zip(
        pay["invoice_id"], _dates(pay["payment_date"]), pay["amount"], strict=True
    ):
        paid_on.setdefault(invoice_id, []).append((day, float(amount)))
    items: dict[str, list[OpenItem]] = {}
    for invoice_id, customer, issued, due, amount, written_off in zip(
        inv["invoice_id"],
        inv["customer_id"],
        _dates(inv["invoice_date"]),
        _dates(inv["due_date"]),
        inv["amount"],
        _optional_dates(inv["written_off_date"]),
        strict=True,
    ):
        # A payment counts from the invoice's date at the earliest (as in the features).
        payments_of = [(max(day, issued), a) for day, a in paid_on.get(invoice_id, [])]
        items.setdefault(customer, []).append(
            OpenItem(invoice_id, issued, due, float(amount), written_off, payments_of)
        )
    credits: dict[str, list[CreditNote]] = {}
    for credit_id, customer, day, amount, reference in zip(
        credit_notes["invoice_id"],
        credit_notes["customer_id"],
        _dates(credit_notes["invoice_date"]),
        credit_notes["amount"],
        credit_notes["reference_invoice_id"],
        strict=True,
    ):
        ref = None if reference is None or pd.isna(reference) else str(reference)
        credits.setdefault(customer, []).append(CreditNote(credit_id, day, -float(amount), ref))
    applied: list[tuple[str, str, str, dt.date, float]] = []
    unapplied: list[tuple[str, str, dt.date, float]] = []
    for customer, notes in credits.items():
        done, left = allocate(items.get(customer, []), notes)
        applied += [(a.credit_note_id, a.invoice_id, customer, a.day, a.amount) for a in done]
        unapplied += [(c.credit_note_id, customer, c.day, amount) for c, amount in left]
    return CreditAllocation(_applied_frame(applied), _unapplied_frame(unapplied))


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
