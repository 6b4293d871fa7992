"""Customer features: hand-computed values, customers without history, single customer equals
batch, and point-in-time correctness (data dated after T changes nothing at T)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from features.customer import build_customer_features, customer_features_at
from features.ledger_arrays import LedgerArrays, LedgerReferenceError
from features.policy import FeaturePolicy, RulesPolicy
from features.registry import CUSTOMER_FEATURES
from ledger.frames import Ledger
from ledger.storage import load_ledger, write_ledger

T = "2024-06-30"

C1_EXPECTED = {
    "invoice_count_3m": 2,
    "invoice_amount_3m": 1100,
    "invoice_count_6m": 4,
    "invoice_amount_6m": 4100,
    "invoice_count_12m": 4,
    "invoice_amount_12m": 4100,
    "on_time_share_3m": 0.0,
    "on_time_share_12m": 0.0,
    "days_late_mean_3m": 49,
    "days_late_mean_12m": 29.5,
    "days_late_median_12m": 29.5,
    "days_late_max_12m": 49,
    "days_late_weighted_12m": 36,  # (10 x 1000 + 49 x 2000) / 3000
    "days_late_trend": 39,  # 49 (last 91 days) - 10 (before)
    "days_to_pay_mean_12m": 59.5,  # (40 + 79) / 2
    "payment_delay_mean_3m": 49,  # both paid late: the signed delay equals days late
    "payment_delay_mean_12m": 29.5,
    # Paid 141 and 71 days before T; weights halve every 60 days.
    "payment_delay_recent": (2 ** (-141 / 60) * 10 + 2 ** (-71 / 60) * 49)
    / (2 ** (-141 / 60) + 2 ** (-71 / 60)),
    "payment_delay_trend_12m": math.nan,  # two paid invoices: no trend
    # Known by T: the two paid invoices (10 and 49 days late; late means > 30); I4, 30 days
    # overdue, is not yet known to be late.
    "prior_late_share": 0.5,
    "prior_known_invoices": 2,
    "open_past_usual_days": 0.5,  # I4 is 30 days overdue; usually paid 29.5 days late
    "days_since_last_payment": 71,  # 2024-04-20 -> 06-30
    "payment_gap_mean_12m": 35,  # 02-10, 03-20, 04-20: 70 days / 2 gaps
    "open_ar": 1100,
    "open_invoice_count": 2,
    "overdue_ar": 300,
    "overdue_share": 300 / 1100,
    "overdue_invoice_count": 1,
    "max_days_overdue": 30,
    "aging_share_current": 800 / 1100,
    "aging_share_1_30": 300 / 1100,
    "aging_share_91_180": 0,
    "largest_open_invoice": 800,
    "largest_open_invoice_share": 800 / 1100,
    "dso": 91,  # 1100 open / 1100 sales in 91 days x 91
    "avg_days_delinquent": 91 - 800 / 1100 * 91,
    "dso_countback": 90,  # 800 (days 0-29), 0 (30-59), 300 (60-89) cover 1100
    "cei": 1500 / 1800,  # (1500 begin + 1100 sales - 1100 end) / (1500 + 1100 - 800 current)
    "dso_usual": 45.5,  # only 03-31 has history: 1500 open / 3000 sales x 91
    "dso_change": 45.5,
    "credit_limit": 10_000,
    "credit_utilisation": 0.11,
    "open_ar_months_12m": 1100 / (4 * 1025 / 12),  # open AR / a month of the year's invoicing
    "dispute_rate_12m": 0.25,
    "disputed_open_share": 0,
    "days_since_last_dispute": 112,
    "partial_payment_rate_12m": 0.25,
    "written_off_ratio_12m": 0,
    "invoice_amount_mean_12m": 1025,
    "invoice_amount_cv_12m": math.sqrt(1_527_500 / 4) / 1025,
    "days_since_last_invoice": 10,
    "tenure_days": 546,
    "payment_terms_days": 30,
    "current_ratio": 2.0,
    "industry": "Retail",
    "country": "DE",
}

C2_EXPECTED = {
    "invoice_count_3m": 0,
    "invoice_count_6m": 1,
    "invoice_amount_12m": 900,
    "on_time_share_12m": math.nan,
    "days_late_mean_12m": math.nan,
    "payment_delay_mean_12m": math.nan,
    "payment_delay_recent": math.nan,
    "open_past_usual_days": math.nan,  # I3 is overdue, but nothing paid tells what is usual
    "open_ar": 500,
    "overdue_share": 1.0,
    "max_days_overdue": 91,
    "aging_share_91_180": 1.0,
    "dso": 365,  # open AR but no sales in the period: the cap
    "avg_days_delinquent": 365,
    "dso_countback": 150,  # the 500 was invoiced 121 days ago: five 30-day periods
    "cei": 0.0,  # 900 collectible (500 open + 400 later written off), nothing collected
    "written_off_ratio_12m": 400 / 900,
    "dso_usual": (900 / 500 * 91 + 91) / 2,  # 03-31: 163.8; 2023-12-31: 91; earlier: no history
    "credit_utilisation": math.nan,
    "open_ar_months_12m": 500 / (900 / 12),
    "days_since_last_payment": math.nan,
    "payment_gap_mean_12m": math.nan,
    "days_since_last_invoice": 121,
    "tenure_days": 395,
}


def _check(row: pd.Series, expected: dict[str, object]) -> None:
    for name, value in expected.items():
        if isinstance(value, str):
            assert row[name] == value, name
        elif math.isnan(value):
            assert math.isnan(row[name]), f"{name}: {row[name]} is not NaN"
        else:
            assert row[name] == pytest.approx(value, rel=1e-12, abs=1e-12), name


def test_hand_computed_features_of_a_small_ledger(hand_ledger: Ledger) -> None:
    features = build_customer_features(hand_ledger, T)
    assert list(features.index) == ["C1", "C2", "C3"]
    assert list(features.columns) == list(CUSTOMER_FEATURES)
    _check(features.loc["C1"], C1_EXPECTED)
    _check(features.loc["C2"], C2_EXPECTED)


def test_customer_with_no_invoices_has_zero_counts_and_nan_rates(hand_ledger: Ledger) -> None:
    row = build_customer_features(hand_ledger, T).loc["C3"]
    zero = ["invoice_count_12m", "invoice_amount_12m", "open_ar", "overdue_ar", "dso"]
    zero += ["dso_countback", "avg_days_delinquent", "largest_open_invoice"]
    zero += ["open_invoice_count", "max_days_overdue", "credit_utilisation"]
    for name in zero:
        assert row[name] == 0, name
    nan = ["on_time_share_12m", "days_late_mean_3m", "days_late_median_6m", "overdue_share"]
    nan += [
        "aging_share_current",
        "cei",
        "dso_usual",
        "dispute_rate_12m",
        "days_since_last_payment",
    ]
    nan += ["days_since_last_invoice", "invoice_amount_mean_12m", "current_ratio"]
    for name in nan:
        assert math.isnan(row[name]), name
    assert row["tenure_days"] == 29
    assert row["payment_terms_days"] == 60


def test_as_of_before_any_activity_gives_empty_history(hand_ledger: Ledger) -> None:
    features = build_customer_features(hand_ledger, "2022-12-31")
    assert (features["invoice_count_12m"] == 0).all()
    assert (features["open_ar"] == 0).all()
    assert features["tenure_days"].isna().all()  # nobody onboarded yet


def test_empty_ledger_gives_an_empty_frame_with_all_columns() -> None:
    features = build_customer_features(Ledger.empty(), T)
    assert features.empty
    assert list(features.columns) == list(CUSTOMER_FEATURES)


def test_grace_days_turn_slightly_late_payments_on_time(hand_ledger: Ledger) -> None:
    lenient = RulesPolicy(features=FeaturePolicy(on_time_grace_days=10))
    row = build_customer_features(hand_ledger, T, lenient).loc["C1"]
    assert row["on_time_share_12m"] == 0.5  # I1 (10 days late) is now on time, I2 (49) is not


def _early_and_punctual_ledger() -> Ledger:
    """E pays 5 and 2 days early, then 3 and 8 days late, and has one invoice 16 days overdue;
    P pays every invoice on its due date and has nothing open."""
    customers = pd.DataFrame(
        {
            "customer_id": ["E", "P"],
            "name": ["Early SA", "Punctual AG"],
            "onboarding_date": ["2023-01-01", "2023-01-01"],
            "payment_terms_days": [30, 30],
            "currency": "EUR",
        }
    )
    issued = ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01", "2024-05-15"]
    due = ["2024-01-31", "2024-03-02", "2024-03-31", "2024-05-01", "2024-06-14"]
    invoices = pd.DataFrame(
        {
            "invoice_id": [f"E{i}" for i in range(5)] + [f"P{i}" for i in range(4)],
            "customer_id": ["E"] * 5 + ["P"] * 4,
            "invoice_date": issued + issued[:4],
            "due_date": due + due[:4],
            "amount": 100.0,
            "currency": "EUR",
        }
    )
    paid = ["2024-01-26", "2024-02-29", "2024-04-03", "2024-05-09"]
    payments = pd.DataFrame(
        {
            "payment_id": [f"X{i}" for i in range(8)],
            "invoice_id": [f"E{i}" for i in range(4)] + [f"P{i}" for i in range(4)],
            "payment_date": paid + due[:4],
            "amount": 100.0,
        }
    )
    return Ledger.from_frames(customers, invoices, payments)


def test_signed_payment_delay_tells_early_payers_apart() -> None:
    features = build_customer_features(_early_and_punctual_ledger(), T)
    early, punctual = features.loc["E"], features.loc["P"]
    delays = np.array([-5, -2, 3, 8])
    assert early["days_late_mean_12m"] == 11 / 4  # early payments count as 0 days late
    assert early["payment_delay_mean_12m"] == delays.mean()
    assert early["payment_delay_mean_3m"] == 5.5  # E2 and E3 were paid in the last 91 days
    assert punctual["payment_delay_mean_12m"] == 0
    # Usually paid 0.5 days late (median of the four); E4 is 16 days overdue.
    assert early["open_past_usual_days"] == 15.5
    assert punctual["open_past_usual_days"] == 0  # nothing open
    paid_days = (pd.to_datetime(["2024-01-26", "2024-02-29", "2024-04-03", "2024-05-09"])
                 - pd.Timestamp(T)).days.to_numpy()  # fmt: skip
    slope = np.polyfit(paid_days, delays, 1)[0]
    assert early["payment_delay_trend_12m"] == pytest.approx(30 * slope, rel=1e-12)
    assert punctual["payment_delay_trend_12m"] == 0
    weights = 2.0 ** (paid_days / 60)
    assert early["payment_delay_recent"] == pytest.approx(
        (weights * delays).sum() / weights.sum(), rel=1e-12
    )


def test_recency_half_life_comes_from_the_policy() -> None:
    ledger = _early_and_punctual_ledger()
    short = RulesPolicy(features=FeaturePolicy(recency_half_life_days=1))
    long = RulesPolicy(features=FeaturePolicy(recency_half_life_days=365))
    recent_short = build_customer_features(ledger, T, short).loc["E", "payment_delay_recent"]
    recent_long = build_customer_features(ledger, T, long).loc["E", "payment_delay_recent"]
    assert recent_short == pytest.approx(8, abs=1e-6)  # only the latest payment counts
    assert 1 < recent_long < 8  # close to the plain mean of 1, pulled up by the recent ones


def test_payment_after_as_of_changes_no_feature(hand_ledger: Ledger) -> None:
    late = pd.concat(
        [
            hand_ledger.payments,
            pd.DataFrame(
                {
                    "payment_id": ["P9"],
                    "invoice_id": ["I4"],
                    "payment_date": pd.to_datetime(["2024-07-01"]),
                    "amount": [300.0],
                }
            ),
        ],
        ignore_index=True,
    )
    with_payment = Ledger(hand_ledger.customers, hand_ledger.invoices, late, hand_ledger.orders)
    before = build_customer_features(hand_ledger, T)
    pd.testing.assert_frame_equal(build_customer_features(with_payment, T), before)
    after = build_customer_features(with_payment, "2024-07-01")
    assert after.loc["C1", "open_ar"] == 800  # and the next day it does count


def _assert_point_in_time(ledger: Ledger, as_of: str, truncate) -> None:
    known = truncate(ledger, as_of)
    assert len(known.invoices) < len(ledger.invoices), "the test needs data after as_of"
    full = build_customer_features(ledger, as_of).loc[known.customers["customer_id"]]
    pd.testing.assert_frame_equal(full, build_customer_features(known, as_of), check_exact=True)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("as_of", ["2022-03-15", "2023-01-31", "2024-06-30"])
def test_data_after_as_of_changes_no_feature(make_random_ledger, truncate, seed, as_of) -> None:
    _assert_point_in_time(make_random_ledger(seed), as_of, truncate)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 10_000), day=st.integers(30, 3 * 365 - 30))
def test_any_ledger_any_date_is_point_in_time(make_random_ledger, truncate, seed, day) -> None:
    as_of = (pd.Timestamp("2022-01-01") + pd.Timedelta(days=day)).strftime("%Y-%m-%d")
    ledger = make_random_ledger(seed, customers=6, invoices=150)
    # A date after the last invoice (seed=957, day=1061) leaves nothing after as_of to test.
    assume(ledger.invoices["invoice_date"].max() > pd.Timestamp(as_of))
    _assert_point_in_time(ledger, as_of, truncate)


def test_synthetic_ledger_is_point_in_time(truncate) -> None:
    synth = pytest.importorskip("ledger.synth")
    result = synth.generate(synth.SynthConfig(customers=150, months=24, seed=11))
    end = pd.Timestamp(result.as_of)
    for months_back in (13, 6, 1):
        as_of = (end - pd.DateOffset(months=months_back)).strftime("%Y-%m-%d")
        _assert_point_in_time(result.ledger, as_of, truncate)


def test_every_feature_varies_across_a_random_ledger(make_random_ledger) -> None:
    """Guards the point-in-time tests against passing on constant (e.g. all-NaN) columns."""
    features = build_customer_features(make_random_ledger(3, customers=30, invoices=2000), T)
    constant = [c for c in features.columns if features[c].nunique(dropna=False) < 2]
    assert constant == []


@pytest.mark.parametrize("seed", range(3))
def test_single_customer_equals_batch(make_random_ledger, seed) -> None:
    ledger = make_random_ledger(seed)
    batch = build_customer_features(ledger, "2023-09-30")
    for customer_id in ledger.customers["customer_id"]:
        single = build_customer_features(ledger.for_customers([customer_id]), "2023-09-30")
        pd.testing.assert_frame_equal(single, batch.loc[[customer_id]], check_exact=True)


def test_single_customer_read_from_the_database_equals_batch(
    make_random_ledger, sqlite_engine
) -> None:
    write_ledger(sqlite_engine, make_random_ledger(5))
    batch = build_customer_features(load_ledger(sqlite_engine), "2024-01-15")
    for customer_id in batch.index:
        single = build_customer_features(load_ledger(sqlite_engine, [customer_id]), "2024-01-15")
        pd.testing.assert_frame_equal(single, batch.loc[[customer_id]], check_exact=True)


def test_prepared_ledger_serves_many_dates_like_fresh_builds(make_random_ledger) -> None:
    ledger = make_random_ledger(8)
    arrays = LedgerArrays.from_ledger(ledger)
    for as_of in ("2022-06-30", "2023-06-30", "2024-06-30"):
        pd.testing.assert_frame_equal(
            customer_features_at(arrays, as_of), build_customer_features(ledger, as_of)
        )


def test_a_ledger_is_resolved_once_and_a_new_ledger_afresh(make_random_ledger) -> None:
    """Scoring a customer, its open invoices and its aging share one resolution of the
    ledger; a sub-ledger or a replaced ledger is a new ledger and is resolved again."""
    ledger = make_random_ledger(8)
    arrays = LedgerArrays.from_ledger(ledger)
    assert LedgerArrays.from_ledger(ledger) is arrays
    first = ledger.customers["customer_id"].iloc[:2].tolist()
    sub = ledger.for_customers(first)
    assert LedgerArrays.from_ledger(sub) is not arrays
    assert len(LedgerArrays.from_ledger(sub).cust_onboarding) == 2
    assert len(arrays.ord_day) > 0
    no_orders = dataclasses.replace(ledger, orders=ledger.orders.iloc[:0])
    assert len(LedgerArrays.from_ledger(no_orders).ord_day) == 0


def test_asked_again_for_the_same_date_gives_an_equal_frame_of_its_own(
    make_random_ledger,
) -> None:
    ledger = make_random_ledger(8)
    arrays = LedgerArrays.from_ledger(ledger)
    first = customer_features_at(arrays, "2023-06-30")
    first.iloc[:, :] = np.nan  # a caller's change to its frame reaches no later caller
    again = customer_features_at(arrays, "2023-06-30")
    pd.testing.assert_frame_equal(again, build_customer_features(ledger, "2023-06-30"))
    other = customer_features_at(arrays, "2023-06-30", FeaturePolicy(recency_half_life_days=9))
    assert not other.equals(again)  # another policy is another question


def test_paid_date_only_export_is_read_as_one_full_payment(hand_ledger: Ledger) -> None:
    invoices = hand_ledger.invoices.copy()
    invoices.loc[invoices["invoice_id"] == "I4", "paid_date"] = pd.Timestamp("2024-06-10")
    ledger = Ledger.from_frames(
        hand_ledger.customers, invoices, hand_ledger.payments, hand_ledger.orders
    )
    row = build_customer_features(ledger, T).loc["C1"]
    assert row["open_ar"] == 800
    assert row["days_late_max_3m"] == 49
    assert row["days_since_last_payment"] == 20


def test_invoice_of_unknown_customer_is_named_in_the_error(hand_ledger: Ledger) -> None:
    invoices = hand_ledger.invoices.copy()
    invoices.loc[0, "customer_id"] = "NOPE"
    broken = Ledger(hand_ledger.customers, invoices, hand_ledger.payments, hand_ledger.orders)
    with pytest.raises(LedgerReferenceError, match=r"invoices refer to unknown ids \['NOPE'\]"):
        build_customer_features(broken, T)


def test_payment_of_unknown_invoice_is_named_in_the_error(hand_ledger: Ledger) -> None:
    payments = hand_ledger.payments.copy()
    payments.loc[1, "invoice_id"] = "I404"
    broken = Ledger(hand_ledger.customers, hand_ledger.invoices, payments, hand_ledger.orders)
    with pytest.raises(LedgerReferenceError, match=r"\['I404'\] \(rows \['P2'\]\)"):
        build_customer_features(broken, T)


def test_repeated_customer_id_is_refused(hand_ledger: Ledger) -> None:
    customers = pd.concat([hand_ledger.customers, hand_ledger.customers.iloc[[0]]])
    broken = Ledger(customers, hand_ledger.invoices, hand_ledger.payments, hand_ledger.orders)
    with pytest.raises(LedgerReferenceError, match=r"repeated: \['C1'\]"):
        build_customer_features(broken, T)


@pytest.mark.parametrize("bad", ["yesterday", "2024-02-30", None])
def test_unreadable_as_of_is_refused(hand_ledger: Ledger, bad) -> None:
    with pytest.raises(ValueError, match="as_of must be a date"):
        build_customer_features(hand_ledger, bad)


def test_same_ledger_same_features(make_random_ledger) -> None:
    first = build_customer_features(make_random_ledger(4), T)
    second = build_customer_features(make_random_ledger(4), T)
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    assert np.isfinite(
        first.select_dtypes("number").to_numpy()[~first.select_dtypes("number").isna().to_numpy()]
    ).all()
