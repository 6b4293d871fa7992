"""One rounding for every figure a person reads (issue #11 item 6)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from models.rounding import Kind, kind_of, round_number, rounded, rounded_frame, significant


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("amount_open", Kind.MONEY),
        ("recommended_credit_limit", Kind.MONEY),
        ("expected_loss", Kind.MONEY),
        ("total_recommended_limit", Kind.MONEY),
        ("default_probability", Kind.PROBABILITY),
        ("late_payment_probability", Kind.PROBABILITY),
        ("overdue_ratio", Kind.PROBABILITY),
        ("customers", Kind.COUNT),
        ("customers_high", Kind.COUNT),
        ("days_overdue", Kind.COUNT),
        ("risk_grade", Kind.COUNT),
        ("dso", Kind.NUMBER),
        (None, Kind.NUMBER),
    ],
)
def test_a_figure_takes_its_kind_from_its_name(name: str | None, kind: Kind) -> None:
    assert kind_of(name) is kind


def test_probabilities_keep_four_significant_digits() -> None:
    assert significant(0.012593095192160345) == 0.01259
    assert significant(0.98765432) == 0.9877
    assert significant(0.0) == 0.0
    assert round_number(0.00012345678, Kind.PROBABILITY) == 0.0001235


def test_money_is_rounded_to_cents_and_counts_become_integers() -> None:
    assert round_number(1234.5678, Kind.MONEY) == 1234.57
    assert round_number(-0.001, Kind.MONEY) == 0.0
    assert math.copysign(1.0, round_number(-0.001, Kind.MONEY)) == 1.0
    count = round_number(5000.0, Kind.COUNT)
    assert count == 5000
    assert isinstance(count, int)
    assert round_number(np.float64(3.0), Kind.COUNT) == 3


def test_an_unknown_number_keeps_four_digits_but_never_loses_its_cents() -> None:
    assert round_number(45.678912, Kind.NUMBER) == 45.68
    assert round_number(1234567.891, Kind.NUMBER) == 1234567.89
    assert round_number(0.123456, Kind.NUMBER) == 0.1235


def test_missing_and_non_numbers_pass_through() -> None:
    assert round_number(float("nan"), Kind.MONEY) is None
    assert round_number(None, Kind.COUNT) is None
    assert round_number(True, Kind.COUNT) is True
    assert round_number("C000001", Kind.MONEY) == "C000001"


def test_json_is_rounded_by_key_and_figures_under_a_money_key_are_money() -> None:
    answer = {
        "customer_id": "C1",
        "default_probability": 0.012593095192160345,
        "recommended_credit_limit": {
            "amount": 12345.6789,
            "rules": [{"rule": "trade_need", "value": 15000.123456}],
        },
        "summary": {"customers": 5000.0, "warnings": 7.0, "by_grade": {"3": 12}},
        "aging": {"buckets": {"1-30": 100.456}, "dso": 41.23456},
        "customers": [{"customer_id": "C1", "dso": 41.23456, "open_invoices": 3.0}],
    }
    assert rounded(answer) == {
        "customer_id": "C1",
        "default_probability": 0.01259,
        "recommended_credit_limit": {
            "amount": 12345.68,
            "rules": [{"rule": "trade_need", "value": 15000.12}],
        },
        "summary": {"customers": 5000, "warnings": 7, "by_grade": {"3": 12}},
        "aging": {"buckets": {"1-30": 100.46}, "dso": 41.23},
        "customers": [{"customer_id": "C1", "dso": 41.23, "open_invoices": 3}],
    }
    assert isinstance(rounded(answer)["summary"]["customers"], int)


def test_a_frame_is_rounded_column_by_column_and_a_missing_count_stays_missing() -> None:
    frame = pd.DataFrame(
        {
            "amount_open": [10.005001, 2.0],
            "default_probability": [0.123456, np.nan],
            "days_overdue": [3.0, np.nan],
            "disputed": [True, False],
            "name": ["a", "b"],
        }
    )
    out = rounded_frame(frame)
    assert out["amount_open"].tolist() == [10.01, 2.0]
    assert out["default_probability"].iloc[0] == 0.1235
    assert pd.isna(out["default_probability"].iloc[1])
    assert str(out["days_overdue"].dtype) == "Int64"
    assert out["days_overdue"].iloc[0] == 3
    assert pd.isna(out["days_overdue"].iloc[1])
    assert out["disputed"].tolist() == [True, False]
    assert frame["amount_open"].iloc[0] == 10.005001  # the input is left alone
