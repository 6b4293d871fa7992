"""Labels on hand-made ledgers with known outcomes, including the horizon boundaries."""

from __future__ import annotations

import pandas as pd
import pytest

from ledger.frames import Ledger
from training.labels import (
    default_labels,
    first_default_dates,
    late_payment_labels,
    onboarding_labels,
    settlement,
)

T = pd.Timestamp


def make_ledger(
    invoices: list[dict],
    payments: list[dict],
    customers: list[str],
    onboarded: str = "2024-01-01",
) -> Ledger:
    cust = pd.DataFrame(
        {
            "customer_id": customers,
            "name": customers,
            "country": "DE",
            "industry": "retail",
            "onboarding_date": onboarded,
            "payment_terms_days": 30,
            "currency": "EUR",
        }
    )
    inv = pd.DataFrame(invoices).assign(currency="EUR")
    pay = (
        pd.DataFrame(payments)
        if payments
        else pd.DataFrame(columns=["payment_id", "invoice_id", "payment_date", "amount"])
    )
    return Ledger.from_frames(cust, inv, pay)


def inv(iid: str, cid: str, issued: str, due: str, amount: float = 100.0, **kw) -> dict:
    return {
        "invoice_id": iid,
        "customer_id": cid,
        "invoice_date": issued,
        "due_date": due,
        "amount": amount,
        **kw,
    }


def pay(pid: str, iid: str, date: str, amount: float) -> dict:
    return {"payment_id": pid, "invoice_id": iid, "payment_date": date, "amount": amount}


def test_settlement_is_the_payment_that_completes_the_invoice() -> None:
    ledger = make_ledger(
        [inv("I1", "A", "2024-01-01", "2024-01-31"), inv("I2", "A", "2024-01-05", "2024-02-04")],
        [
            pay("P1", "I1", "2024-02-10", 40.0),
            pay("P2", "I1", "2024-03-01", 60.0),
            pay("P3", "I2", "2024-02-01", 99.5),  # within 1% materiality: settled
        ],
        ["A"],
    )
    s = settlement(ledger).set_index("invoice_id")["paid_full_date"]
    assert s["I1"] == T("2024-03-01")
    assert s["I2"] == T("2024-02-01")


def test_default_event_is_due_plus_90_when_unpaid_then() -> None:
    ledger = make_ledger(
        [
            inv("I1", "A", "2024-01-01", "2024-01-31"),  # never paid → 2024-04-30
            inv("I2", "B", "2024-01-01", "2024-01-31"),  # paid at exactly 90 DPD → no default
            inv("I3", "C", "2024-01-01", "2024-01-31"),  # paid at 91 DPD → default at 90
            inv("I4", "D", "2024-01-01", "2024-01-31", written_off_date="2024-03-15"),
        ],
        [pay("P2", "I2", "2024-04-30", 100.0), pay("P3", "I3", "2024-05-01", 100.0)],
        ["A", "B", "C", "D", "E"],
    )
    first = first_default_dates(ledger)
    assert first["A"] == T("2024-04-30")
    assert pd.isna(first["B"])
    assert first["C"] == T("2024-04-30")
    assert first["D"] == T("2024-03-15")  # write-off comes before 90 DPD
    assert pd.isna(first["E"])  # no invoices, no default


def test_default_label_window_is_open_at_t_and_closed_at_t_plus_horizon() -> None:
    # First default event on 2024-04-30.
    ledger = make_ledger(
        [inv("I1", "A", "2024-01-01", "2024-01-31")], [], ["A"], onboarded="2020-01-01"
    )
    dates = [T("2023-04-29"), T("2023-04-30"), T("2024-04-29"), T("2024-04-30")]
    labels = default_labels(ledger, dates, data_end=T("2026-01-01")).set_index("as_of")
    assert labels.loc[T("2023-04-29"), "defaulted"] == 0  # event one day past the horizon
    assert labels.loc[T("2023-04-30"), "defaulted"] == 1  # event exactly at T + 12 months
    assert labels.loc[T("2024-04-29"), "defaulted"] == 1  # event the day after T
    row = labels.loc[T("2024-04-30")]
    assert row["defaulted"] == 0
    assert bool(row["in_default"])


def test_label_is_incomplete_when_the_window_passes_the_data_end() -> None:
    ledger = make_ledger([inv("I1", "A", "2024-01-01", "2024-01-31")], [], ["A"])
    labels = default_labels(ledger, [T("2024-01-31"), T("2024-02-01")], data_end=T("2025-01-31"))
    assert labels["complete"].tolist() == [True, False]


def test_customers_not_yet_onboarded_are_not_sampled() -> None:
    ledger = make_ledger([inv("I1", "A", "2024-01-01", "2024-01-31")], [], ["A"])
    labels = default_labels(ledger, [T("2023-12-31")], data_end=T("2026-01-01"))
    assert labels.empty


@pytest.mark.parametrize(
    ("late_after", "expected"),
    [(0, [0, 1, 1, 1]), (5, [0, 0, 1, 1]), (30, [0, 0, 0, 1])],
)
def test_late_payment_threshold_comes_from_the_caller(late_after: int, expected: list[int]) -> None:
    ledger = make_ledger(
        [
            inv("I1", "A", "2024-01-01", "2024-01-31"),  # paid on the due date
            inv("I2", "A", "2024-01-01", "2024-01-31"),  # 5 days late
            inv("I3", "A", "2024-01-01", "2024-01-31"),  # 30 days late
            inv("I4", "A", "2024-01-01", "2024-01-31"),  # 31 days late
        ],
        [
            pay("P1", "I1", "2024-01-31", 100.0),
            pay("P2", "I2", "2024-02-05", 100.0),
            pay("P3", "I3", "2024-03-01", 100.0),
            pay("P4", "I4", "2024-03-02", 100.0),
        ],
        ["A"],
    )
    labels = late_payment_labels(ledger, data_end=T("2025-01-01"), late_after_days=late_after)
    assert labels["late"].tolist() == expected
    assert labels["days_late"].tolist() == [0.0, 5.0, 30.0, 31.0]


def test_unpaid_invoice_is_late_only_once_the_cutoff_is_observed() -> None:
    ledger = make_ledger([inv("I1", "A", "2024-01-01", "2024-01-31")], [], ["A"])
    early = late_payment_labels(ledger, data_end=T("2024-02-15"), late_after_days=30)
    later = late_payment_labels(ledger, data_end=T("2024-03-01"), late_after_days=30)
    assert not early["observable"].iloc[0]
    assert later["observable"].iloc[0]
    assert later["late"].iloc[0] == 1
    assert pd.isna(later["days_late"].iloc[0])


def test_onboarding_label_needs_a_full_first_year() -> None:
    ledger = make_ledger(
        [inv("I1", "A", "2024-01-01", "2024-01-31"), inv("I2", "B", "2024-01-10", "2024-02-09")],
        [pay("P2", "I2", "2024-02-09", 100.0)],
        ["A", "B"],
    )
    labels = onboarding_labels(ledger, data_start=T("2024-01-01"), data_end=T("2025-01-01"))
    assert labels.set_index("customer_id")["defaulted"].to_dict() == {"A": 1, "B": 0}
    assert onboarding_labels(ledger, T("2024-01-01"), T("2024-12-31")).empty
