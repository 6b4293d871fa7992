"""Aging report: hand-computed buckets, DSO, CEI and bad-debt ratio on a small ledger, policy
buckets, disputed invoices, and point-in-time correctness of the whole report."""

from __future__ import annotations

import pandas as pd
import pytest

from features.aging import age_ledger
from features.policy import AgingPolicy, RulesPolicy
from ledger.frames import Ledger

T = "2024-06-30"


def test_open_invoices_are_aged_by_as_of_minus_due_date(hand_ledger: Ledger) -> None:
    report = age_ledger(hand_ledger, T)
    inv = report.invoices
    assert sorted(inv.index) == ["I3", "I4", "I5"]
    assert inv.loc["I3", "days_overdue"] == 91  # due 03-31
    assert inv.loc["I4", "days_overdue"] == 30  # due 05-31
    assert inv.loc["I5", "days_overdue"] == -20  # due 07-20: not yet due
    assert list(inv.loc[["I3", "I4", "I5"], "bucket"]) == ["91-180", "1-30", "current"]
    assert (inv["status"] == "open").all()
    assert list(inv.loc[["I3", "I4", "I5"], "open_amount"]) == [500, 300, 800]


def test_settled_items_are_aged_by_paid_or_write_off_date(hand_ledger: Ledger) -> None:
    inv = age_ledger(hand_ledger, T, include_settled=True).invoices
    assert inv.loc["I1", "status"] == "paid"
    assert inv.loc["I1", "days_overdue"] == 10  # paid 02-10, due 01-31
    assert inv.loc["I2", "days_overdue"] == 49  # fully paid 04-20, due 03-02
    assert inv.loc["I6", "status"] == "written_off"
    assert inv.loc["I6", "days_overdue"] == 136  # written off 04-15, due 2023-12-01
    assert inv.loc[["I1", "I2", "I6"], "bucket"].isna().all()
    assert inv.loc[["I1", "I2", "I6"], "collection_step"].isna().all()
    assert (inv.loc[["I1", "I2", "I6"], "open_amount"] == 0).all()


def test_portfolio_buckets_and_ratios_by_hand(hand_ledger: Ledger) -> None:
    report = age_ledger(hand_ledger, T)
    portfolio = report.portfolio
    assert list(portfolio.index) == ["current", "1-30", "31-60", "61-90", "91-180", "over 180"]
    assert list(portfolio["amount"]) == [800, 300, 0, 0, 500, 0]
    assert list(portfolio["count"]) == [1, 1, 0, 0, 1, 0]
    assert portfolio["share"].tolist() == pytest.approx([0.5, 0.1875, 0, 0, 0.3125, 0])
    s = report.summary
    assert s["open_ar"] == 1600
    assert s["overdue_ar"] == 800
    assert s["overdue_ratio"] == 0.5
    # Sales of the last 91 days: I4 300 + I5 800.
    assert s["dso"] == pytest.approx(1600 / 1100 * 91)
    # Count-back: 800 (0-29 days), 0, 300 (60-89), 0, then 500 of I3 (120-149) covers the rest.
    assert s["dso_countback"] == pytest.approx(150)
    # CEI: begin 03-31 = 1500 (I2 less 500) + 500 (I3) + 400 (I6); sales 1100; end 1600, of
    # which current 800; I6's 400 was written off, not collected.
    assert s["cei"] == pytest.approx((2400 + 1100 - 1600 - 400) / (2400 + 1100 - 800))
    # Bad debt: 400 written off / 5000 invoiced in the last 365 days.
    assert s["bad_debt_ratio"] == pytest.approx(400 / 5000)
    assert s["customers"] == 3
    assert (s["customers_low"], s["customers_high"], s["customers_critical"]) == (1, 1, 1)


def test_customer_rows_by_hand(hand_ledger: Ledger) -> None:
    customers = age_ledger(hand_ledger, T).customers
    c1, c2 = customers.loc["C1"], customers.loc["C2"]
    assert (c1["current"], c1["1-30"], c1["91-180"]) == (800, 300, 0)
    assert c1["overdue_ratio"] == pytest.approx(300 / 1100)
    assert c1["dso"] == pytest.approx(91)
    assert c1["cei"] == pytest.approx(1500 / 1800)
    assert c1["late_share_12m"] == 1.0
    assert c1["risk_grade"] == "high"  # every invoice of the last year was paid late
    assert c1["utilisation"] == pytest.approx(0.11)
    assert c2["risk_grade"] == "critical"  # 91 days overdue
    assert c2["bad_debt_ratio"] == pytest.approx(400 / 900)
    assert c2["strategy"].startswith("Stop supply")
    assert customers.loc["C3", "risk_grade"] == "low"
    assert customers.loc["C3", "open_ar"] == 0


def test_collection_steps_of_the_open_invoices(hand_ledger: Ledger) -> None:
    inv = age_ledger(hand_ledger, T).invoices
    assert inv.loc["I3", "collection_step"] == "agency_or_legal"  # 91 days, 500 is not small
    assert inv.loc["I4", "collection_step"] == "call_and_plan"  # 30 days
    assert inv.loc["I5", "collection_step"] == "none"  # due in 20 days
    assert age_ledger(hand_ledger, "2024-07-16").invoices.loc["I5", "collection_step"] == (
        "reminder_before_due"
    )


def test_disputed_open_invoice_goes_to_dispute_resolution(hand_ledger: Ledger) -> None:
    inv = age_ledger(hand_ledger, "2024-03-25").invoices  # I2 open and disputed since 03-10
    assert inv.loc["I2", "disputed"]
    assert inv.loc["I2", "collection_step"] == "dispute_resolution"
    assert inv.loc["I2", "collection_action"] == "Resolve the dispute before any dunning"
    assert inv.loc["I2", "open_amount"] == 1500
    before = age_ledger(hand_ledger, "2024-03-05").invoices  # not disputed yet: normal dunning
    assert not before.loc["I2", "disputed"]
    assert before.loc["I2", "collection_step"] == "friendly_reminder"


def test_policy_buckets_change_the_report(hand_ledger: Ledger) -> None:
    policy = RulesPolicy(aging=AgingPolicy(bucket_edges=(0, 60)))
    report = age_ledger(hand_ledger, T, policy)
    assert list(report.portfolio.index) == ["current", "1-60", "over 60"]
    assert list(report.portfolio["amount"]) == [800, 300, 500]
    assert list(report.customers.columns[-3:]) == ["current", "1-60", "over 60"]


def test_one_customer_report(hand_ledger: Ledger) -> None:
    report = age_ledger(hand_ledger, T, customer_ids=["C2"])
    assert list(report.customers.index) == ["C2"]
    assert report.summary["open_ar"] == 500
    assert sorted(report.invoices.index) == ["I3"]
    codes = set(report.warnings["code"])
    assert codes == {"overdue_share_high", "dso_rising"}
    with pytest.raises(ValueError, match=r"unknown customer_id\(s\): \['C9'\]"):
        age_ledger(hand_ledger, T, customer_ids=["C9"])


def test_customer_buckets_long_table(hand_ledger: Ledger) -> None:
    buckets = age_ledger(hand_ledger, T).customer_buckets
    c1 = buckets[buckets["customer_id"] == "C1"].set_index("bucket")
    assert c1.loc["current", "amount"] == 800
    assert c1.loc["1-30", "count"] == 1
    assert c1.loc["current", "share"] == pytest.approx(800 / 1100)
    assert buckets[buckets["customer_id"] == "C3"]["share"].isna().all()


def test_open_orders_add_to_exposure(hand_ledger: Ledger) -> None:
    orders = pd.DataFrame(
        {
            "order_id": ["O1", "O2", "O3"],
            "customer_id": ["C1", "C1", "C1"],
            "order_date": ["2024-06-01", "2024-06-02", "2024-07-05"],
            "amount": [9000.0, 50.0, 70.0],
            "status": ["open", "invoiced", "open"],
        }
    )
    ledger = Ledger.from_frames(
        hand_ledger.customers, hand_ledger.invoices, hand_ledger.payments, orders
    )
    report = age_ledger(ledger, T)
    assert report.customers.loc["C1", "open_orders"] == 9000  # O2 invoiced, O3 after as_of
    assert report.customers.loc["C1", "exposure"] == 10_100
    breach = report.warnings[report.warnings["code"] == "limit_breached"]
    assert breach[["customer_id", "value", "threshold"]].values.tolist() == [["C1", 10_100, 10_000]]


@pytest.mark.parametrize("as_of", ["2022-09-30", "2023-11-15"])
def test_aging_uses_only_what_was_known_at_as_of(make_random_ledger, truncate, as_of) -> None:
    ledger = make_random_ledger(7)
    known = truncate(ledger, as_of)
    ids = known.customers["customer_id"].tolist()
    full = age_ledger(ledger, as_of, customer_ids=ids, include_settled=True)
    past = age_ledger(known, as_of, include_settled=True)
    pd.testing.assert_frame_equal(full.invoices.sort_index(), past.invoices.sort_index())
    pd.testing.assert_frame_equal(full.customers, past.customers)
    pd.testing.assert_frame_equal(full.portfolio, past.portfolio)
    pd.testing.assert_frame_equal(full.warnings, past.warnings)
    assert full.summary == past.summary


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("as_of", ["2025-03-31", "2025-09-15"])
@pytest.mark.parametrize("include_settled", [False, True])
def test_aged_invoices_is_the_invoice_table_of_the_whole_report(
    make_random_ledger, seed: int, as_of: str, include_settled: bool
) -> None:
    from features.aging import age_arrays, aged_invoices
    from features.ledger_arrays import LedgerArrays

    arrays = LedgerArrays.from_ledger(make_random_ledger(seed))
    policy = RulesPolicy()
    whole = age_arrays(arrays, as_of, policy, include_settled)
    pd.testing.assert_frame_equal(
        aged_invoices(arrays, as_of, policy, include_settled), whole.invoices
    )
    assert len(whole.invoices) > 0
