"""Ledgers for the feature tests: a small hand-written one, a seeded random one full of edge
cases (instalments, same-day payments, write-offs, late recoveries, undated disputes, customers
with no invoices), and the point-in-time truncation of a ledger ("what was known at T")."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from ledger.frames import Ledger

START = pd.Timestamp("2022-01-01")


def _customers(n: int, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:03d}" for i in range(n)],
            "name": [f"Customer {i}" for i in range(n)],
            "country": rng.choice(["DE", "FR", "NL"], n),
            "industry": rng.choice(["Retail", "Construction", "IT services"], n),
            "onboarding_date": START + pd.to_timedelta(rng.integers(-400, 700, n), unit="D"),
            "payment_terms_days": rng.choice([14, 30, 60], n),
            "credit_limit": np.where(rng.random(n) < 0.8, rng.integers(1, 40, n) * 1000.0, np.nan),
            "currency": "EUR",
            "annual_revenue": rng.integers(1, 100, n) * 100_000.0,
            "total_assets": rng.integers(1, 50, n) * 50_000.0,
            "total_liabilities": rng.integers(1, 50, n) * 40_000.0,
            "current_assets": rng.integers(1, 50, n) * 20_000.0,
            "current_liabilities": rng.integers(1, 50, n) * 15_000.0,
            "net_income": rng.integers(-20, 40, n) * 5_000.0,
            "years_in_business": rng.integers(0, 40, n).astype(float),
            "employees": rng.integers(1, 500, n),
            "bureau_score": rng.integers(300, 900, n).astype(float),
        }
    )


def random_ledger(seed: int, customers: int = 12, invoices: int = 400) -> Ledger:
    """A messy but valid ledger over three years. The last two customers never invoice."""
    rng = np.random.default_rng(seed)
    cust = _customers(customers, rng)
    active = customers - 2
    inv_day = np.sort(rng.integers(0, 3 * 365, invoices))
    terms = rng.choice([0, 14, 30, 60], invoices)
    amount = np.round(rng.lognormal(7, 1.2, invoices), 2)
    written_off = np.where(
        rng.random(invoices) < 0.06, inv_day + terms + rng.integers(60, 300, invoices), -1
    )
    disputed = rng.random(invoices) < 0.12
    dispute_dated = rng.random(invoices) < 0.7
    dispute_day = inv_day + rng.integers(0, 90, invoices)
    frame = pd.DataFrame(
        {
            "invoice_id": [f"I{i:05d}" for i in rng.permutation(invoices)],
            "customer_id": [f"C{c:03d}" for c in rng.integers(0, active, invoices)],
            "invoice_date": START + pd.to_timedelta(inv_day, unit="D"),
            "due_date": START + pd.to_timedelta(inv_day + terms, unit="D"),
            "amount": amount,
            "currency": "EUR",
            "disputed": disputed,
            "dispute_date": (START + pd.to_timedelta(dispute_day, unit="D")).where(
                disputed & dispute_dated
            ),
            "written_off_date": (START + pd.to_timedelta(written_off, unit="D")).where(
                written_off >= 0
            ),
        }
    )
    payments: list[tuple[str, str, pd.Timestamp, float]] = []
    for i, row in enumerate(frame.itertuples()):
        style = rng.random()
        due = inv_day[i] + terms[i]
        if style < 0.12:  # never paid
            continue
        if style < 0.30:  # instalments, possibly not adding up, some on the same day
            parts = rng.integers(2, 5)
            shares = rng.dirichlet(np.ones(parts)) * (1.0 if rng.random() < 0.7 else 0.6)
            days = due + np.sort(rng.integers(-20, 150, parts))
            if rng.random() < 0.3:
                days[1] = days[0]
            for k in range(parts):
                cents = round(row.amount * shares[k], 2)
                payments.append((f"P{i:05d}-{k}", row.invoice_id, days[k], cents))
            continue
        # one payment, usually on time-ish, sometimes very late (after any write-off)
        day = max(inv_day[i], due + int(rng.normal(5, 25)))
        if rng.random() < 0.05:
            day += 400
        payments.append((f"P{i:05d}", row.invoice_id, day, row.amount))
    pay = pd.DataFrame(payments, columns=["payment_id", "invoice_id", "day", "amount"])
    pay["payment_date"] = START + pd.to_timedelta(pay.pop("day"), unit="D")
    n_orders = invoices // 10
    orders = pd.DataFrame(
        {
            "order_id": [f"O{i:04d}" for i in range(n_orders)],
            "customer_id": [f"C{c:03d}" for c in rng.integers(0, active, n_orders)],
            "order_date": START + pd.to_timedelta(rng.integers(0, 3 * 365, n_orders), unit="D"),
            "amount": np.round(rng.lognormal(7, 1, n_orders), 2),
            "status": rng.choice(["open", "invoiced", "cancelled"], n_orders),
        }
    )
    return Ledger.from_frames(cust, frame, pay, orders)


def known_at(ledger: Ledger, as_of: str | pd.Timestamp) -> Ledger:
    """The ledger as it stood at the end of ``as_of``: nothing dated later exists yet."""
    t = pd.Timestamp(as_of)
    customers = ledger.customers[ledger.customers["onboarding_date"] <= t]
    inv = ledger.invoices[
        (ledger.invoices["invoice_date"] <= t)
        & ledger.invoices["customer_id"].isin(customers["customer_id"])
    ].copy()
    later_dispute = inv["dispute_date"] > t
    # An undated dispute counts as raised on the due date (the ingest convention).
    later_undated = inv["disputed"] & inv["dispute_date"].isna() & (inv["due_date"] > t)
    inv.loc[later_dispute | later_undated, "disputed"] = False
    inv.loc[later_dispute, "dispute_date"] = pd.NaT
    inv.loc[inv["written_off_date"] > t, "written_off_date"] = pd.NaT
    inv.loc[inv["paid_date"] > t, "paid_date"] = pd.NaT
    payments = ledger.payments[
        (ledger.payments["payment_date"] <= t)
        & ledger.payments["invoice_id"].isin(inv["invoice_id"])
    ]
    orders = ledger.orders[
        (ledger.orders["order_date"] <= t)
        & ledger.orders["customer_id"].isin(customers["customer_id"])
    ]
    credit_notes = ledger.credit_notes[
        (ledger.credit_notes["invoice_date"] <= t)
        & ledger.credit_notes["customer_id"].isin(customers["customer_id"])
    ]
    return Ledger(
        customers=customers.reset_index(drop=True),
        invoices=inv.reset_index(drop=True),
        payments=payments.reset_index(drop=True),
        orders=orders.reset_index(drop=True),
        credit_notes=credit_notes.reset_index(drop=True),
    )


@pytest.fixture
def make_random_ledger() -> Callable[..., Ledger]:
    return random_ledger


@pytest.fixture
def truncate() -> Callable[[Ledger, str | pd.Timestamp], Ledger]:
    return known_at


@pytest.fixture
def hand_ledger() -> Ledger:
    """Three customers, written out so every figure in the tests can be checked by hand.

    C1 (terms 30, limit 10,000):
      I1  2024-01-01 due 01-31  1,000  paid in full 02-10 (10 days late)
      I2  2024-02-01 due 03-02  2,000  disputed 03-10; paid 500 on 03-20, 1,500 on 04-20
                                      (settled 04-20: 49 days late)
      I4  2024-05-01 due 05-31    300  open
      I5  2024-06-20 due 07-20    800  open, not yet due
    C2 (terms 30, no limit):
      I3  2024-03-01 due 03-31    500  open
      I6  2023-11-01 due 12-01    400  written off 2024-04-15 (nothing paid)
    C3 (terms 60, limit 5,000): no invoices.
    """
    customers = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3"],
            "name": ["Alpha GmbH", "Beta SARL", "Gamma BV"],
            "country": ["DE", "FR", "NL"],
            "industry": ["Retail", "Construction", "Retail"],
            "onboarding_date": ["2023-01-01", "2023-06-01", "2024-06-01"],
            "payment_terms_days": [30, 30, 60],
            "credit_limit": [10_000.0, None, 5_000.0],
            "currency": "EUR",
            "current_assets": [200.0, None, 50.0],
            "current_liabilities": [100.0, None, 0.0],
        }
    )
    invoices = pd.DataFrame(
        {
            "invoice_id": ["I1", "I2", "I3", "I4", "I5", "I6"],
            "customer_id": ["C1", "C1", "C2", "C1", "C1", "C2"],
            "invoice_date": [
                "2024-01-01", "2024-02-01", "2024-03-01", "2024-05-01", "2024-06-20", "2023-11-01"
            ],
            "due_date": [
                "2024-01-31", "2024-03-02", "2024-03-31", "2024-05-31", "2024-07-20", "2023-12-01"
            ],
            "amount": [1000.0, 2000.0, 500.0, 300.0, 800.0, 400.0],
            "currency": "EUR",
            "disputed": [False, True, False, False, False, False],
            "dispute_date": [None, "2024-03-10", None, None, None, None],
            "written_off_date": [None, None, None, None, None, "2024-04-15"],
        }
    )  # fmt: skip
    payments = pd.DataFrame(
        {
            "payment_id": ["P1", "P2", "P3"],
            "invoice_id": ["I1", "I2", "I2"],
            "payment_date": ["2024-02-10", "2024-03-20", "2024-04-20"],
            "amount": [1000.0, 500.0, 1500.0],
        }
    )
    return Ledger.from_frames(customers, invoices, payments)
