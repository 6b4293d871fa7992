"""Reason codes: per-prediction SHAP contributions turned into sentences a credit controller can
repeat to a customer ("paid 42 days late on average over 6 months; portfolio median 3 days").

The wording of each feature comes from the feature registry through the small
:class:`FeatureText` protocol, so this module does not depend on how the registry is built;
columns the registry does not know (a user's own application table) get a plain fallback.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from numpy.typing import NDArray

Direction = Literal["raises", "lowers"]


@runtime_checkable
class FeatureText(Protocol):
    """How one feature is put into words.

    ``describe`` phrases a customer's value ("paid 42 days late on average over 6 months");
    ``format_value`` renders a bare value with its unit ("3 days"), used for the portfolio
    reference. Both receive ``None`` for a missing value.
    """

    def describe(self, value: float | str | None) -> str: ...

    def format_value(self, value: float | str | None) -> str: ...


def format_number(value: float) -> str:
    """A number as a finance user would write it: thousands separators, no spurious digits."""
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


@dataclass(frozen=True)
class PlainFeatureText:
    """Fallback wording: the column's own name and its value."""

    label: str

    def format_value(self, value: float | str | None) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "not reported"
        if isinstance(value, str):
            return repr(value)
        return format_number(float(value))

    def describe(self, value: float | str | None) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return f"{self.label} not reported"
        return f"{self.label} is {self.format_value(value)}"


class _Defined(Protocol):
    @property
    def definition(self) -> str: ...


@dataclass(frozen=True)
class DefinitionText:
    """Wording from a registry entry's one-line definition and a value renderer:
    "Mean days paid after due, invoices fully paid in the last 182 days: 42 days"."""

    definition: str
    render: Callable[[float | str | None], str]

    def describe(self, value: float | str | None) -> str:
        return f"{self.definition}: {self.render(value)}"

    def format_value(self, value: float | str | None) -> str:
        return self.render(value)


def texts_from_registry(
    specs: Mapping[str, _Defined], render_value: Callable[[str, object], str]
) -> dict[str, FeatureText]:
    """Reason-code wording for every registry entry, e.g.
    ``texts_from_registry(features.registry.FEATURES, features.registry.render_value)``."""
    return {
        name: DefinitionText(spec.definition, partial(render_value, name))
        for name, spec in specs.items()
    }


@dataclass(frozen=True)
class Reason:
    """One reason code: a feature, its value, how much it moved the risk and why in words.

    ``contribution`` is in log-odds of default: positive raises risk, negative lowers it.
    """

    feature: str
    value: float | str | None
    reference: float | str | None
    contribution: float
    direction: Direction
    text: str


@dataclass(frozen=True)
class Explanation:
    """The reasons behind one prediction, strongest first on each side."""

    raising: tuple[Reason, ...]
    lowering: tuple[Reason, ...]
    base_value: float


def reason_text(
    feature: str,
    value: float | str | None,
    reference: float | str | None,
    categorical: bool,
    texts: Mapping[str, FeatureText] | None = None,
) -> str:
    """The sentence of one reason: the customer's value, then the portfolio's typical value."""
    wording = (texts or {}).get(feature) or PlainFeatureText(feature)
    sentence = wording.describe(value)
    if reference is None:
        return sentence
    anchor = "portfolio most common" if categorical else "portfolio median"
    return f"{sentence}; {anchor} {wording.format_value(reference)}"


def _clean(value: object) -> float | str | None:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    return None if math.isnan(number) else number


def explain_row(
    contributions: NDArray[np.float64],
    names: Sequence[str],
    values: Sequence[object],
    references: Sequence[float | str | None],
    categorical: Sequence[bool],
    top_n: int,
    texts: Mapping[str, FeatureText] | None = None,
) -> Explanation:
    """Top ``top_n`` reasons raising and lowering the risk of one row.

    ``contributions`` holds one log-odds contribution per feature followed by the base value,
    as LightGBM's ``pred_contrib`` returns them. Features with no effect are never reasons, and
    a missing value never lowers the risk in words: the absence of data is no reason for
    confidence (the models score it as no better than the portfolio median).
    """
    if top_n < 1:
        raise ValueError(f"top_n must be at least 1; got {top_n}")
    per_feature = contributions[:-1]
    order = np.argsort(-np.abs(per_feature), kind="stable")
    raising: list[Reason] = []
    lowering: list[Reason] = []
    for j in order:
        effect = float(per_feature[j])
        if effect == 0.0:
            break
        side = raising if effect > 0 else lowering
        if len(side) >= top_n:
            continue
        value = _clean(values[j])
        if value is None and effect < 0:
            continue
        side.append(
            Reason(
                feature=names[j],
                value=value,
                reference=references[j],
                contribution=effect,
                direction="raises" if effect > 0 else "lowers",
                text=reason_text(names[j], value, references[j], categorical[j], texts),
            )
        )
        if len(raising) >= top_n and len(lowering) >= top_n:
            break
    return Explanation(tuple(raising), tuple(lowering), float(contributions[-1]))
