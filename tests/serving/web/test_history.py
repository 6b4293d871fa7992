"""The customer page's days-late-by-month figures, checked by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ledger.frames import Ledger
from serving.web.history import days_late_by_month


def _ledger() -> Ledger:
    d = pd.Timestamp
    invoices = pd.DataFrame(
        {
            "invoice_id": ["A", "B", "C", "D"],
            "customer_id": ["X"] * 4,
            "invoice_date": [d("2026-07-01"), d("2026-08-01"), d("2026-08-05"), d("2026-09-01")],
            "due_date": [d("2026-07-31"), d("2026-08-31"), d("2026-09-04"), d("2026-10-01")],
            "amount": [100.0, 300.0, 100.0, 50.0],
        }
    )
    payments = pd.DataFrame(
        {
            "payment_id": ["p1", "p2", "p3", "p4", "p5"],
            "invoice_id": ["A", "B", "B", "C", "D"],
            # A paid 10 days late in August; B half in September, settled 2026-09-20 (20 days
            # late); C settled 2026-09-01 (3 days early); D paid after the as-of date.
            "payment_date": [
                d("2026-08-10"),
                d("2026-09-05"),
                d("2026-09-20"),
                d("2026-09-01"),
                d("2026-11-15"),
            ],
            "amount": [100.0, 150.0, 150.0, 100.0, 50.0],
        }
    )
    customers = pd.DataFrame({"customer_id": ["X"]})
    orders = pd.DataFrame(columns=["order_id", "customer_id", "order_date", "amount"])
    return Ledger(customers, invoices, payments, orders)


def test_days_late_by_month_weights_by_amount_and_counts_the_settling_payment_only() -> None:
    months = dict(days_late_by_month(_ledger(), dt.date(2026, 10, 31), months=4))
    assert list(months) == [dt.date(2026, m, 1) for m in (7, 8, 9, 10)]
    assert months[dt.date(2026, 7, 1)] is None
    assert months[dt.date(2026, 8, 1)] == 10.0
    # September: B (300, 20 days late) and C (100, 3 days early), weighted by amount.
    assert months[dt.date(2026, 9, 1)] == (300 * 20 + 100 * -3) / 400
    assert months[dt.date(2026, 10, 1)] is None  # D's payment comes after the as-of date


def test_days_late_by_month_sees_only_payments_made_by_the_date() -> None:
    months = dict(days_late_by_month(_ledger(), dt.date(2026, 9, 10), months=2))
    # B is only half paid on 2026-09-10: not settled; C settled on 2026-09-01.
    assert months == {dt.date(2026, 8, 1): 10.0, dt.date(2026, 9, 1): -3.0}
