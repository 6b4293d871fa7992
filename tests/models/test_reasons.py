"""Reason codes: contributions in words, strongest first on each side."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.reasons import (
    FeatureText,
    PlainFeatureText,
    explain_row,
    format_number,
    reason_text,
    texts_from_registry,
)


@dataclass(frozen=True)
class DaysLateText:
    """A registry entry as the features package words it."""

    def describe(self, value: float | str | None) -> str:
        if value is None:
            return "no payments in the last 6 months"
        return f"paid {value:.0f} days late on average over 6 months"

    def format_value(self, value: float | str | None) -> str:
        return "unknown" if value is None else f"{value:.0f} days"


def test_registry_wording_is_used_with_the_portfolio_median() -> None:
    text = reason_text("avg_days_late_6m", 42.0, 3.0, False, {"avg_days_late_6m": DaysLateText()})
    assert text == "paid 42 days late on average over 6 months; portfolio median 3 days"


def test_registry_entry_satisfies_the_protocol() -> None:
    assert isinstance(DaysLateText(), FeatureText)
    assert isinstance(PlainFeatureText("x"), FeatureText)


def test_unknown_feature_falls_back_to_its_name() -> None:
    assert reason_text("Attr27", 1.5234, 0.8, False) == "Attr27 is 1.52; portfolio median 0.8"
    assert (
        reason_text("sector", "mining", "retail", True)
        == "sector is 'mining'; portfolio most common 'retail'"
    )
    assert reason_text("bureau_score", None, 610.0, False) == (
        "bureau_score not reported; portfolio median 610"
    )


def test_numbers_are_written_for_people() -> None:
    assert format_number(1_250_000.0) == "1,250,000"
    assert format_number(1234.567) == "1,235"
    assert format_number(12.5) == "12.5"
    assert format_number(0.01234) == "0.0123"


def test_top_reasons_are_split_by_direction_and_ordered_by_strength() -> None:
    contributions = np.array([0.8, -0.1, 0.0, -0.5, 0.3, -1.9])  # last = base value
    names = ["avg_days_late_6m", "years", "unused", "equity_ratio", "disputes"]
    explanation = explain_row(
        contributions,
        names,
        values=[42.0, 12.0, 1.0, 0.4, 3.0],
        references=[3.0, 8.0, 1.0, 0.3, 0.0],
        categorical=[False] * 5,
        top_n=2,
        texts={"avg_days_late_6m": DaysLateText()},
    )
    assert [r.feature for r in explanation.raising] == ["avg_days_late_6m", "disputes"]
    assert [r.feature for r in explanation.lowering] == ["equity_ratio", "years"]
    assert explanation.raising[0].text.startswith("paid 42 days late")
    assert explanation.base_value == -1.9
    assert all(r.direction == "raises" for r in explanation.raising)


def test_features_without_effect_are_never_reasons() -> None:
    explanation = explain_row(
        np.array([0.0, 0.2, 0.0, -1.0]),
        ["a", "b", "c"],
        values=[1.0, 2.0, np.nan],
        references=[1.0, 1.0, 1.0],
        categorical=[False] * 3,
        top_n=3,
    )
    assert [r.feature for r in explanation.raising] == ["b"]
    assert explanation.lowering == ()


def test_missing_data_is_never_a_reason_for_lower_risk() -> None:
    explanation = explain_row(
        np.array([-0.6, -0.2, 0.4, -1.0]),
        ["bureau_score", "years", "leverage"],
        values=[np.nan, 12.0, None],
        references=[594.0, 8.0, 0.5],
        categorical=[False] * 3,
        top_n=3,
    )
    assert [r.feature for r in explanation.lowering] == ["years"]
    assert [r.feature for r in explanation.raising] == ["leverage"]  # missing may raise it
    assert "no data" not in " ".join(r.text for r in explanation.lowering)


@dataclass(frozen=True)
class Spec:
    """The shape of a feature-registry entry."""

    name: str
    definition: str


def test_registry_definitions_and_renderer_give_the_wording() -> None:
    specs = {"days_late_mean_6m": Spec("days_late_mean_6m", "Mean days paid after due")}

    def render(name: str, value: object) -> str:
        return "no data" if value is None else f"{float(value):.0f} days"  # type: ignore[arg-type]

    texts = texts_from_registry(specs, render)
    assert reason_text("days_late_mean_6m", 42.0, 3.0, False, texts) == (
        "Mean days paid after due: 42 days; portfolio median 3 days"
    )
