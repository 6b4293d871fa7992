"""The one rounding of every figure a person reads: money to cents, probabilities and shares to
4 significant digits, counts as integers; in the CSVs, the workbook and the JSON answers alike.

A figure's kind comes from its name (a column or a JSON key), so a CSV column, a workbook column
and the JSON field of the same name are always rounded the same way. A figure of no known kind
under a money key is money (the ``value`` of each rule of a ``recommended_credit_limit``); any
other number keeps 4 significant digits but never less than cents, so a money field this module
does not know still keeps its cents. Stored model bundles are never rounded: they go through
:func:`models.jsonable.jsonable` only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

SIGNIFICANT_DIGITS = 4
MONEY_DECIMALS = 2


class Kind(StrEnum):
    """What a figure is, which decides how it is rounded and shown."""

    MONEY = "money"
    PROBABILITY = "probability"
    COUNT = "count"
    NUMBER = "number"


_MONEY_NAMES = frozenset(
    {
        "amount",
        "amount_open",
        "open_amount",
        "overdue_amount",
        "credit_limit",
        "current_credit_limit",
        "recommended_credit_limit",
        "exposure",
        "expected_loss",
        "open_ar",
        "overdue_ar",
        "total_open",
        "total_overdue",
        "available_credit",
        "open_orders",
        "buckets",
    }
)
_MONEY_SUFFIXES = ("_amount", "_limit", "_loss", "_exposure", "_ar")
_PROBABILITY_NAMES = frozenset({"pd", "probability", "pd_change", "overdue_ratio", "default_rate"})
_PROBABILITY_SUFFIXES = ("_probability", "_ratio", "_share", "_rate", "_pd")
_COUNT_NAMES = frozenset(
    {
        "customers",
        "invoices",
        "payments",
        "orders",
        "count",
        "total",
        "done",
        "rank",
        "priority",
        "risk_grade",
        "previous_risk_grade",
        "grade_change",
        "by_grade",
        "by_pd_basis",
        "migration",
        "days_overdue",
        "max_days_overdue",
        "warnings",
        "score",
    }
)
_COUNT_PREFIXES = ("customers_", "n_")
_COUNT_SUFFIXES = ("_count", "_customers", "_invoices", "_days_overdue")


def kind_of(name: str | None) -> Kind:
    """The kind of the figure called ``name`` (:attr:`Kind.NUMBER` when the name says none)."""
    if not name:
        return Kind.NUMBER
    key = name.lower()
    if key in _COUNT_NAMES or key.startswith(_COUNT_PREFIXES) or key.endswith(_COUNT_SUFFIXES):
        return Kind.COUNT
    if key in _PROBABILITY_NAMES or key.endswith(_PROBABILITY_SUFFIXES):
        return Kind.PROBABILITY
    if key in _MONEY_NAMES or key.endswith(_MONEY_SUFFIXES) or key.startswith("total_"):
        return Kind.MONEY
    return Kind.NUMBER


def significant(value: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    """``value`` to ``digits`` significant digits (0.012593095 → 0.01259)."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def round_number(value: Any, kind: Kind) -> Any:
    """One number rounded as its kind says; None, NaN and non-numbers pass through (NaN as
    None), booleans stay booleans and counts become ``int``."""
    if value is None or isinstance(value, bool | np.bool_):
        return value
    if not isinstance(value, int | float | np.integer | np.floating):
        return value
    number = float(value)
    if not math.isfinite(number):
        return None
    if kind is Kind.COUNT:
        return round(number)
    if isinstance(value, int | np.integer):
        return int(value)
    if kind is Kind.MONEY:
        return round(number, MONEY_DECIMALS) + 0.0  # + 0.0: no "-0.0"
    if kind is Kind.PROBABILITY:
        return significant(number)
    # Unknown kind: 4 significant digits, but never coarser than cents.
    decimals = SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(abs(number))) if number else 0
    return round(number, max(decimals, MONEY_DECIMALS)) + 0.0


def rounded(value: Any, name: str | None = None, inherited: Kind = Kind.NUMBER) -> Any:
    """A JSON-ready structure (dicts, lists, numbers) with every number rounded by its key's
    kind; a key of no known kind inherits the kind of the key it sits under."""
    own = kind_of(name)
    kind = inherited if own is Kind.NUMBER else own
    # Only money is passed down: a count's key may hold whole rows ("customers": [...]) whose
    # other figures are no counts, while everything under a money key is money.
    passed = kind if kind is Kind.MONEY else Kind.NUMBER
    if isinstance(value, Mapping):
        return {k: rounded(v, str(k), passed) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v, None, passed) for v in value]
    return round_number(value, kind)


def rounded_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every numeric column rounded by its name's kind (count
    columns become nullable integers, so a missing count stays empty, not 0)."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype == bool or not pd.api.types.is_numeric_dtype(series):
            continue
        kind = kind_of(str(column))
        if kind is Kind.COUNT:
            out[column] = series.round().astype("Int64")
        elif pd.api.types.is_float_dtype(series):
            values = series.to_numpy(dtype=float, na_value=np.nan)
            out[column] = pd.Series(
                [round_number(v, kind) if math.isfinite(v) else np.nan for v in values],
                index=series.index,
                dtype=float,
            )
    return out
