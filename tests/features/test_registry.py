"""The feature registry: complete, documented, and rendered in plain language."""

from __future__ import annotations

import math
import typing

import pytest

from features.registry import (
    CATEGORICAL_FEATURES,
    CUSTOMER_FEATURES,
    FEATURES,
    INVOICE_FEATURES,
    FeatureSpec,
    Unit,
    render_value,
)


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
