"""Invoice features: which invoices, their own columns at the feature date, the customer's
features alongside, and each training sample seeing only what was known at its invoice date."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.customer import build_customer_features
from features.invoice import build_invoice_features, build_invoice_features_at_issue
from features.registry import CUSTOMER_FEATURES, INVOICE_FEATURES
from ledger.frames import Ledger

T = "2024-06-30"
HEAD = ["customer_id", "feature_date", "customer_features_date"]


def test_open_scope_lists_the_invoices_open_at_as_of(hand_ledger: Ledger) -> None:
    features = build_invoice_features(hand_ledger, T)
    assert sorted(features.index) == ["I3", "I4", "I5"]
    assert list(features.columns) == HEAD + list(INVOICE_FEATURES) + list(CUSTOMER_FEATURES)


def test_issued_scope_lists_every_invoice_issued_by_as_of(hand_ledger: Ledger) -> None:
    assert len(build_invoice_features(hand_ledger, T, scope="issued")) == 6
    assert sorted(build_invoice_features(hand_ledger, "2024-02-15", scope="issued").index) == [
        "I1",
        "I2",
        "I6",
    ]


def test_own_columns_at_the_feature_date(hand_ledger: Ledger) -> None:
    row = build_invoice_features(hand_ledger, "2024-03-25", invoice_ids=["I2"]).loc["I2"]
    assert row["customer_id"] == "C1"
    assert row["invoice_amount"] == 2000
    assert row["invoice_terms_days"] == 30
    assert row["invoice_month"] == 2
    assert row["invoice_days_since_issue"] == 53
    assert row["invoice_days_to_due"] == -23
    assert row["invoice_open_share"] == 0.75  # 500 of 2000 paid on 03-20
    assert row["invoice_disputed"] == 1  # raised 03-10
    # The customer's usual invoice at 03-25: I1 1000 and I2 2000 -> mean 1500.
    assert row["invoice_relative_size"] == pytest.approx(2000 / 1500)


def test_dispute_raised_after_the_feature_date_is_not_seen(hand_ledger: Ledger) -> None:
    row = build_invoice_features(hand_ledger, "2024-03-09", invoice_ids=["I2"]).loc["I2"]
    assert row["invoice_disputed"] == 0
    assert row["invoice_open_share"] == 1.0


def test_customer_columns_are_the_customer_features_at_as_of(hand_ledger: Ledger) -> None:
    invoices = build_invoice_features(hand_ledger, T)
    customers = build_customer_features(hand_ledger, T)
    for _, row in invoices.iterrows():
        expected = customers.loc[row["customer_id"], list(CUSTOMER_FEATURES)]
        pd.testing.assert_series_equal(
            row[list(CUSTOMER_FEATURES)], expected, check_names=False, check_dtype=False
        )


def test_requested_invoices_must_exist_be_unique_and_be_issued(hand_ledger: Ledger) -> None:
    with pytest.raises(ValueError, match=r"unknown invoice_id\(s\): \['I99'\]"):
        build_invoice_features(hand_ledger, T, invoice_ids=["I1", "I99"])
    with pytest.raises(ValueError, match=r"repeated: \['I1'\]"):
        build_invoice_features(hand_ledger, T, invoice_ids=["I1", "I1"])
    with pytest.raises(ValueError, match=r"\['I5'\] are dated after as_of 2024-06-01"):
        build_invoice_features(hand_ledger, "2024-06-01", invoice_ids=["I4", "I5"])
    with pytest.raises(ValueError, match="scope must be"):
        build_invoice_features(hand_ledger, T, scope="all")  # type: ignore[arg-type]


def test_at_issue_uses_the_latest_month_start_on_or_before_the_invoice(
    hand_ledger: Ledger,
) -> None:
    features = build_invoice_features_at_issue(hand_ledger)
    assert len(features) == 6
    issued = hand_ledger.invoices.set_index("invoice_id")["invoice_date"]
    assert (features["feature_date"] == issued.loc[features.index]).all()
    assert features.loc["I5", "customer_features_date"] == pd.Timestamp("2024-06-01")
    assert features.loc["I1", "customer_features_date"] == pd.Timestamp("2024-01-01")
    assert (features["customer_features_date"] <= features["feature_date"]).all()
    assert (features["invoice_days_since_issue"] == 0).all()
    snapshot = build_customer_features(hand_ledger, "2024-06-01").loc["C1"]
    assert features.loc["I5", "open_ar"] == snapshot["open_ar"]


@pytest.mark.parametrize("seed", [0, 1])
def test_at_issue_sample_sees_only_what_was_known_at_its_date(
    make_random_ledger, truncate, seed
) -> None:
    ledger = make_random_ledger(seed, customers=8, invoices=300)
    sample = ledger.invoices["invoice_id"].sample(25, random_state=seed).tolist()
    at_issue = build_invoice_features_at_issue(ledger, invoice_ids=sample, snapshot_freq="D")
    for invoice_id, row in at_issue.iterrows():
        day = row["feature_date"].strftime("%Y-%m-%d")
        known = truncate(ledger, day)
        if row["customer_id"] not in set(known.customers["customer_id"]):
            continue  # invoiced before the onboarding date: not in the truncated ledger
        alone = build_invoice_features(known, day, invoice_ids=[invoice_id]).loc[invoice_id]
        pd.testing.assert_series_equal(row, alone, check_names=False)


def test_at_issue_matches_per_date_builds_for_every_snapshot(make_random_ledger) -> None:
    ledger = make_random_ledger(2, customers=6, invoices=200)
    at_issue = build_invoice_features_at_issue(ledger)
    for snapshot, group in at_issue.groupby("customer_features_date"):
        customers = build_customer_features(ledger, snapshot)
        expected = customers.loc[group["customer_id"], list(CUSTOMER_FEATURES)]
        expected.index = group.index
        pd.testing.assert_frame_equal(group[list(CUSTOMER_FEATURES)], expected, check_exact=True)


def test_at_issue_rejects_an_unknown_frequency(hand_ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="snapshot_freq 'fortnightly'"):
        build_invoice_features_at_issue(hand_ledger, snapshot_freq="fortnightly")


def test_no_invoices_gives_an_empty_frame(hand_ledger: Ledger) -> None:
    features = build_invoice_features(hand_ledger, "2020-01-01")
    assert features.empty
    assert list(features.columns) == HEAD + list(INVOICE_FEATURES) + list(CUSTOMER_FEATURES)
    assert np.all(build_invoice_features_at_issue(Ledger.empty()).columns == features.columns)
