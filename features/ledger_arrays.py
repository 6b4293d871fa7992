"""The ledger as flat numpy arrays: ids resolved to integer codes and dates to day numbers, once.

Feature building at a date T is then a few dozen vectorised passes (masks and ``np.bincount``)
that cost the same per row for one customer or five million invoices; this one-off preparation
is where the string ids are hashed. Everything a feature needs that does not depend on T is
settled here, chiefly the day each invoice was fully paid (by payments and the credit notes
applied to it: :mod:`ledger.credit_notes`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ledger.frames import Ledger
from ledger.schema import PROFILE_COLUMNS

# A day number later than any real date: "never happened". Far from int64's limit, so
# subtracting windows from it cannot overflow.
NEVER = np.int64(1) << np.int64(40)
# Payments within half a cent of the amount settle an invoice (float sums of instalments).
SETTLE_TOLERANCE = 0.005
_NS_PER_DAY = 86_400 * 1_000_000_000
_CUSTOMER_NUMBERS = ("payment_terms_days", "credit_limit", *PROFILE_COLUMNS)


class LedgerReferenceError(ValueError):
    """A row points at a customer or invoice the ledger does not have."""


def to_day(value: dt.date | dt.datetime | str | pd.Timestamp | np.datetime64) -> int:
    """A date as a day number (days since 1970-01-01); the time of day is ignored."""
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"as_of must be a date such as 2024-06-30; got {value!r}") from exc
    if stamp is pd.NaT:
        raise ValueError("as_of must be a date; got an empty value")
    return int(stamp.normalize().value // _NS_PER_DAY)


def from_day(day: int) -> pd.Timestamp:
    """The date of a day number."""
    return pd.Timestamp(int(day) * _NS_PER_DAY)


def day_numbers(series: pd.Series) -> np.ndarray:
    """``datetime64[ns]`` values as int64 day numbers, missing dates as :data:`NEVER`."""
    values = series.to_numpy(dtype="datetime64[ns]").view(np.int64)
    missing = values == np.iinfo(np.int64).min  # NaT
    return np.where(missing, NEVER, np.floor_divide(values, _NS_PER_DAY))


def positions_in(values: pd.Series, universe: pd.Series) -> np.ndarray:
    """Position of each value in ``universe`` (-1 when absent), hashing through Arrow."""
    found = pc.index_in(pa.array(values.array), value_set=pa.array(universe.array))
    return found.to_numpy(zero_copy_only=False).astype(np.float64)  # nulls become NaN


def _codes(values: pd.Series, universe: pd.Series, what: str, row_ids: pd.Series) -> np.ndarray:
    found = positions_in(values, universe)
    missing = np.isnan(found)
    if missing.any():
        sample = row_ids[missing].head(5).tolist()
        unknown = values[missing].head(5).tolist()
        raise LedgerReferenceError(
            f"{int(missing.sum()):,} {what} refer to unknown ids {unknown} (rows {sample})"
        )
    return found.astype(np.int64)


def _float(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].to_numpy(dtype="float64", na_value=np.nan)


_MEMO_KEY = "features.LedgerArrays"


@dataclass(frozen=True)
class LedgerArrays:
    """Numpy view of a :class:`Ledger`, one array per column, grouped by prefix.

    Customer codes are positions in ``customers``. ``inv_row`` is each invoice's position in
    ``invoices`` (the source frame, never re-ordered), so a sub-ledger keeps its rows' relative
    order and its sums come out bit-identical to the full ledger's.
    """

    customers: pd.DataFrame
    invoices: pd.DataFrame
    # customers: static attributes (the customer file is a snapshot, not a history)
    cust_onboarding: np.ndarray
    cust_terms: np.ndarray
    cust_limit: np.ndarray
    cust_profile: dict[str, np.ndarray]
    # invoices
    inv_row: np.ndarray
    inv_cust: np.ndarray
    inv_day: np.ndarray
    inv_due: np.ndarray
    inv_amount: np.ndarray
    inv_dispute: np.ndarray  # day the dispute was raised; NEVER when not disputed
    inv_writeoff: np.ndarray  # NEVER when not written off
    inv_settle: np.ndarray  # day payments first added up to the amount; NEVER if not (yet)
    inv_close: np.ndarray  # min(settle, writeoff): the day it left open receivables
    inv_instalments: np.ndarray  # total of the instalments below (what a write-off did not lose)
    # payments (a payment's day is never before its invoice's date)
    pay_cust: np.ndarray
    pay_day: np.ndarray
    pay_amount: np.ndarray
    # instalments: payments and applied credit notes received before their invoice closed (they
    # reduce open amounts; ``part_credit`` marks the credits, which are not payments)
    part_inv: np.ndarray
    part_cust: np.ndarray
    part_day: np.ndarray
    part_amount: np.ndarray
    part_credit: np.ndarray
    # credit notes left unapplied (ledger.credit_notes): customer credit from their day on
    unap_cust: np.ndarray
    unap_day: np.ndarray
    unap_amount: np.ndarray
    # orders (status is a snapshot: fit for current exposure, not for historical features)
    ord_cust: np.ndarray
    ord_day: np.ndarray
    ord_amount: np.ndarray
    ord_open: np.ndarray
    # What the feature code derives from these arrays, kept for a repeat of the same question
    # (features.customer keeps its latest date's features: a customer's score and its open
    # invoices' scores ask for the same customer features).
    memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def n_customers(self) -> int:
        return len(self.customers)

    @property
    def customer_ids(self) -> pd.Index:
        return pd.Index(self.customers["customer_id"], dtype="str", name="customer_id")

    @classmethod
    def from_ledger(cls, ledger: Ledger) -> LedgerArrays:
        """Resolve ids and dates once per ledger (kept in ``ledger.memo``: scoring a customer,
        its open invoices and its aging reuse one set). Raises :class:`LedgerReferenceError`
        when an invoice, payment or order points at something missing, or a customer id
        appears twice."""
        found = ledger.memo.get(_MEMO_KEY)
        if found is None:
            found = ledger.memo[_MEMO_KEY] = cls._resolve(ledger)
        return found

    @classmethod
    def _resolve(cls, ledger: Ledger) -> LedgerArrays:
        customers, invoices = ledger.customers, ledger.invoices
        payments, orders = ledger.payments, ledger.orders
        duplicated = customers["customer_id"].duplicated()
        if duplicated.any():
            dupes = customers.loc[duplicated, "customer_id"].head(5).tolist()
            raise LedgerReferenceError(f"customer_id must be unique; repeated: {dupes}")
        cust_ids = customers["customer_id"]
        inv_cust = _codes(invoices["customer_id"], cust_ids, "invoices", invoices["invoice_id"])
        pay_inv = _codes(
            payments["invoice_id"], invoices["invoice_id"], "payments", payments["payment_id"]
        )
        ord_cust = _codes(orders["customer_id"], cust_ids, "orders", orders["order_id"])

        inv_day = day_numbers(invoices["invoice_date"])
        due = day_numbers(invoices["due_date"])
        amount = _float(invoices, "amount")
        disputed = invoices["disputed"].to_numpy(dtype=bool)
        raised = day_numbers(invoices["dispute_date"])
        # Same convention as ingest: an undated dispute counts as raised on the due date.
        raised = np.where(raised == NEVER, due, raised)
        dispute = np.where(disputed, np.maximum(raised, inv_day), NEVER)
        writeoff = np.maximum(day_numbers(invoices["written_off_date"]), inv_day)

        pay_day = np.maximum(day_numbers(payments["payment_date"]), inv_day[pay_inv])
        pay_amount = _float(payments, "amount")
        # Applied credit notes reduce and settle an invoice like a payment does, from their day.
        credits = _credits(ledger, cust_ids)
        all_inv = np.concatenate([pay_inv, credits.inv])
        all_day = np.concatenate([pay_day, credits.day])
        all_amount = np.concatenate([pay_amount, credits.amount])
        is_credit = np.r_[np.zeros(len(pay_inv), bool), np.ones(len(credits.inv), bool)]
        settle = _settle_days(all_inv, all_day, all_amount, amount)
        close = np.minimum(settle, writeoff)
        part = all_day < close[all_inv]

        # One conversion for all numeric customer columns (nullable Int64 ones included).
        numeric = customers[list(_CUSTOMER_NUMBERS)].to_numpy(dtype=np.float64, na_value=np.nan)
        by_name = dict(zip(_CUSTOMER_NUMBERS, numeric.T, strict=True))
        return cls(
            customers=customers,
            invoices=invoices,
            cust_onboarding=day_numbers(customers["onboarding_date"]),
            cust_terms=by_name["payment_terms_days"],
            cust_limit=by_name["credit_limit"],
            cust_profile={c: by_name[c] for c in PROFILE_COLUMNS},
            inv_row=np.arange(len(invoices), dtype=np.int64),
            inv_cust=inv_cust,
            inv_day=inv_day,
            inv_due=due,
            inv_amount=amount,
            inv_dispute=dispute,
            inv_writeoff=writeoff,
            inv_settle=settle,
            inv_close=close,
            inv_instalments=np.bincount(
                all_inv[part], weights=all_amount[part], minlength=len(invoices)
            ),
            pay_cust=inv_cust[pay_inv],
            pay_day=pay_day,
            pay_amount=pay_amount,
            part_inv=all_inv[part],
            part_cust=inv_cust[all_inv[part]],
            part_day=all_day[part],
            part_amount=all_amount[part],
            part_credit=is_credit[part],
            unap_cust=credits.unapplied_cust,
            unap_day=credits.unapplied_day,
            unap_amount=credits.unapplied_amount,
            ord_cust=ord_cust,
            ord_day=day_numbers(orders["order_date"]),
            ord_amount=_float(orders, "amount"),
            ord_open=(orders["status"] == "open").to_numpy(dtype=bool),
        )

    def subset(self, customer_codes: np.ndarray) -> LedgerArrays:
        """The arrays of some customers only, renumbered 0..k-1 in the given order, without
        hashing ids again: how snapshots restrict work to the customers that need features."""
        codes = np.asarray(customer_codes, dtype=np.int64)
        remap = np.full(self.n_customers, -1, dtype=np.int64)
        remap[codes] = np.arange(len(codes))
        keep = {
            "inv_": np.flatnonzero(remap[self.inv_cust] >= 0),
            "pay_": np.flatnonzero(remap[self.pay_cust] >= 0),
            "part_": np.flatnonzero(remap[self.part_cust] >= 0),
            "ord_": np.flatnonzero(remap[self.ord_cust] >= 0),
            "unap_": np.flatnonzero(remap[self.unap_cust] >= 0),
        }
        inv_map = np.full(len(self.inv_cust), -1, dtype=np.int64)
        inv_map[keep["inv_"]] = np.arange(len(keep["inv_"]))
        values: dict[str, object] = {
            "customers": self.customers.iloc[codes].reset_index(drop=True),
            "invoices": self.invoices,
            "cust_profile": {k: v[codes] for k, v in self.cust_profile.items()},
        }
        for f in fields(self):
            if f.name in values or not f.init:
                continue
            array = getattr(self, f.name)
            prefix = f.name.split("_")[0] + "_"
            if prefix == "cust_":
                values[f.name] = array[codes]
                continue
            taken = array[keep[prefix]]
            if f.name.endswith("_cust"):
                taken = remap[taken]
            elif f.name == "part_inv":
                taken = inv_map[taken]
            values[f.name] = taken
        return LedgerArrays(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class _Credits:
    """A ledger's credit-note allocation as arrays: applications by invoice position, and the
    unapplied rest by customer code."""

    inv: np.ndarray
    day: np.ndarray
    amount: np.ndarray
    unapplied_cust: np.ndarray
    unapplied_day: np.ndarray
    unapplied_amount: np.ndarray


_NO_INTS = np.zeros(0, dtype=np.int64)
_NO_CREDITS = _Credits(_NO_INTS, _NO_INTS, np.zeros(0), _NO_INTS, _NO_INTS, np.zeros(0))


def _credits(ledger: Ledger, cust_ids: pd.Series) -> _Credits:
    if ledger.credit_notes.empty:
        return _NO_CREDITS  # most ledgers, and every read of a customer without credit notes
    applied, unapplied = ledger.credit_allocation.applied, ledger.credit_allocation.unapplied
    return _Credits(
        inv=_codes(
            applied["invoice_id"],
            ledger.invoices["invoice_id"],
            "credits",
            applied["credit_note_id"],
        ),
        day=day_numbers(applied["date"]),
        amount=_float(applied, "amount"),
        unapplied_cust=_codes(
            unapplied["customer_id"], cust_ids, "credits", unapplied["credit_note_id"]
        ),
        unapplied_day=day_numbers(unapplied["date"]),
        unapplied_amount=_float(unapplied, "amount"),
    )


def _settle_days(
    pay_inv: np.ndarray, pay_day: np.ndarray, pay_amount: np.ndarray, amount: np.ndarray
) -> np.ndarray:
    """The day each invoice's payments, taken in date order, first reach its amount.

    Most invoices are paid in one go, so only invoices with several payments are sorted; their
    running totals are summed payment by payment (rank by rank), never through a global cumulative
    sum, so the result for a customer does not depend on which other customers are in the ledger.
    """
    n = len(amount)
    settle = np.full(n, NEVER, dtype=np.int64)
    if len(pay_inv) == 0:
        return settle
    count = np.bincount(pay_inv, minlength=n)
    target = amount - SETTLE_TOLERANCE
    single = count[pay_inv] == 1
    covers = single & (pay_amount >= target[pay_inv])
    settle[pay_inv[covers]] = pay_day[covers]

    multi = np.flatnonzero(~single)
    if len(multi) == 0:
        return settle
    order = np.lexsort((pay_day[multi], pay_inv[multi]))
    inv = pay_inv[multi][order]
    day = pay_day[multi][order]
    paid = pay_amount[multi][order]
    starts = np.flatnonzero(np.r_[True, inv[1:] != inv[:-1]])
    sizes = np.diff(np.r_[starts, len(inv)])
    running = np.zeros(len(starts))
    for rank in range(int(sizes.max())):
        active = np.flatnonzero(sizes > rank)
        rows = starts[active] + rank
        running[active] += paid[rows]
        reached = running[active] >= target[inv[rows]]
        invoices = inv[rows[reached]]
        settle[invoices] = np.minimum(settle[invoices], day[rows[reached]])
    return settle
