"""The feature registry: complete, documented, and rendered in plain language."""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from features.customer import build_customer_features
from features.invoice import build_invoice_features
from features.registry import (
    CATEGORICAL_FEATURES,
    CUSTOMER_FEATURES,
    FEATURES,
    INVOICE_FEATURES,
    FeatureSpec,
    Unit,
    model_inputs,
    render_value,
)
from ledger.frames import Ledger


def test_at_least_thirty_documented_customer_features() -> None:
    assert len(CUSTOMER_FEATURES) >= 30
    assert len(set(CUSTOMER_FEATURES) | set(INVOICE_FEATURES)) == len(FEATURES)


@pytest.mark.parametrize("spec", FEATURES.values(), ids=lambda s: s.name)
def test_every_feature_has_a_definition_unit_kind_and_direction(spec: FeatureSpec) -> None:
    assert spec.definition
    assert spec.definition[0].isupper()
    assert spec.unit in typing.get_args(Unit)
    assert spec.kind in ("numeric", "categorical")
    assert spec.monotone in (-1, 0, 1)
    assert (spec.kind == "categorical") == (spec.name in CATEGORICAL_FEATURES)
    assert spec.kind == "numeric" or spec.monotone == 0


@pytest.mark.parametrize(
    ("name", "value", "currency", "text"),
    [
        ("dso", 42.4, "EUR", "42 days"),
        ("days_since_last_payment", 1, "EUR", "1 day"),
        ("payment_delay_mean_12m", -2.6, "EUR", "-3 days"),  # paid before due
        ("payment_delay_recent", -1.2, "EUR", "-1 day"),
        ("overdue_share", 0.372, "EUR", "37%"),
        ("open_ar", 12_400.4, "EUR", "€12,400"),
        ("open_ar", -50, "USD", "-$50"),
        ("open_ar", 1_000, "CHF", "1,000 CHF"),
        ("invoice_count_12m", 1234, "EUR", "1,234"),
        ("current_ratio", 1.349, "EUR", "1.35"),
        ("years_in_business", 7, "EUR", "7 years"),
        ("invoice_month", 3, "EUR", "Mar"),
        ("industry", "Retail", "EUR", "Retail"),
        ("bureau_score", 612.0, "EUR", "612"),
        ("dso", math.nan, "EUR", "no data"),
        ("industry", None, "EUR", "no data"),
    ],
)
def test_values_render_in_plain_language(name, value, currency, text) -> None:
    assert render_value(name, value, currency) == text


def test_unknown_feature_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        render_value("not_a_feature", 1)


def _changed_by_the_limit(ledger: Ledger, build: Callable[[Ledger], pd.DataFrame]) -> set[str]:
    """The feature columns that move when every approved credit limit is changed (doubled,
    removed where there was one, set where there was none)."""
    before = build(ledger)
    customers = ledger.customers.copy()
    limit = customers["credit_limit"]
    customers["credit_limit"] = np.where(limit.isna(), 7_000.0, limit * 2.0)
    customers.loc[customers.index[::3], "credit_limit"] = np.nan
    after = build(dataclasses.replace(ledger, customers=customers))
    changed = set()
    for name in before.columns:
        a, b = before[name], after[name]
        same = (a == b) | (a.isna() & b.isna())
        if not same.all():
            changed.add(name)
    return changed


def test_no_model_input_derives_from_the_credit_limit(
    make_random_ledger: Callable[..., Ledger],
) -> None:
    ledger = make_random_ledger(seed=4)
    as_of = "2024-06-30"
    customer = _changed_by_the_limit(ledger, lambda led: build_customer_features(led, as_of))
    invoice = _changed_by_the_limit(
        ledger, lambda led: build_invoice_features(led, as_of, scope="issued")
    )
    assert {"credit_limit", "credit_utilisation"} <= customer  # the check sees the limit
    derived = customer | invoice
    assert not derived & set(model_inputs(FEATURES)), "a model input moves with the limit"
    assert all(not FEATURES[name].model_input for name in derived)


@pytest.mark.parametrize("name", ["credit_limit", "credit_utilisation"])
def test_limit_features_stay_for_the_rules_but_not_the_models(name: str) -> None:
    assert name in CUSTOMER_FEATURES
    assert name not in model_inputs(CUSTOMER_FEATURES)


def test_model_inputs_keep_columns_the_registry_does_not_know() -> None:
    assert model_inputs(["my_own_ratio", "credit_limit", "dso"]) == ["my_own_ratio", "dso"]


@pytest.mark.parametrize(
    ("name", "direction"),
    [
        ("bureau_score", -1),  # higher score = safer (the synthetic bureau: 600 - 60 x risk)
        ("current_ratio", -1),
        ("leverage", 1),
        ("net_margin", -1),
        ("annual_revenue", -1),
        ("years_in_business", -1),
        ("open_ar_months_12m", 1),
        ("industry", 0),  # categories have no order
        ("invoice_month", 0),
    ],
)
def test_features_with_a_credit_meaning_have_its_direction(name: str, direction: int) -> None:
    assert FEATURES[name].monotone == direction
