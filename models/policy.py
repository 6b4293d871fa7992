"""The credit-policy sections the model layer reads: the master scale, the credit-limit rules and
the expert scorecard.

They are pydantic models with ``extra="forbid"`` so a typo in the policy file fails loudly; the
``arscore`` package composes them into the one policy file. Defaults are documented where they
are declared so the policy file can be read without this code.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from features.registry import CUSTOMER_FEATURES, FEATURES


class MasterScalePolicy(BaseModel):
    """PD bands → risk grades (1 best) and score points.

    A PD belongs to the first grade whose upper bound it does not exceed. Points follow the
    classic points-to-double-odds scaling: ``base_points`` at good:bad odds of ``base_odds``,
    and every ``points_to_double_odds`` more points double the odds.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    grade_pd_upper: tuple[float, ...] = Field(
        (0.001, 0.002, 0.004, 0.008, 0.015, 0.03, 0.06, 0.12, 0.25, 1.0),
        description=(
            "Upper PD bound of each grade, best grade first, strictly increasing, last = 1.0. "
            "Default: 10 grades, bounds roughly doubling (0.1% … 25%), like agency-style scales."
        ),
    )
    base_points: float = Field(600.0, description="Score at the base odds")
    base_odds: float = Field(50.0, gt=0, description="Good:bad odds that score base_points (50:1)")
    points_to_double_odds: float = Field(20.0, gt=0, description="Points that double the odds")

    @field_validator("grade_pd_upper")
    @classmethod
    def _bounds_are_a_scale(cls, bounds: tuple[float, ...]) -> tuple[float, ...]:
        if len(bounds) < 2:
            raise ValueError(f"grade_pd_upper needs at least 2 grades; got {len(bounds)}")
        if any(not 0.0 < b <= 1.0 for b in bounds):
            raise ValueError(f"grade_pd_upper bounds must lie in (0, 1]; got {list(bounds)}")
        if any(lo >= hi for lo, hi in itertools.pairwise(bounds)):
            raise ValueError(f"grade_pd_upper must be strictly increasing; got {list(bounds)}")
        if bounds[-1] != 1.0:
            raise ValueError(f"the last grade_pd_upper bound must be 1.0; got {bounds[-1]}")
        return bounds

    @property
    def n_grades(self) -> int:
        return len(self.grade_pd_upper)


class CreditLimitPolicy(BaseModel):
    """Rules of the credit-limit recommendation; see :mod:`models.limits` for how they combine."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    grace_days: int = Field(
        15, ge=0, description="Days of tolerated lateness added to the terms in the trade need"
    )
    grade_multipliers: tuple[float, ...] = Field(
        (1.5, 1.4, 1.3, 1.2, 1.1, 1.0, 0.8, 0.6, 0.4, 0.0),
        description=(
            "Multiplier of the trade need per grade, best grade first (one per master-scale "
            "grade): good customers get headroom above their usual exposure, weak ones less."
        ),
    )
    lgd: float = Field(
        0.45,
        gt=0,
        le=1,
        description="Loss given default of an unsecured trade receivable (Basel F-IRB senior: 45%)",
    )
    loss_appetite: float = Field(
        10_000.0,
        gt=0,
        description="Largest expected loss (PD × LGD × limit) accepted on one customer, currency",
    )
    net_worth_share: float | None = Field(
        0.10,
        gt=0,
        le=1,
        description=(
            "Capacity cap: at most this share of net worth (assets − liabilities); None = off"
        ),
    )
    revenue_share: float | None = Field(
        0.10,
        gt=0,
        le=1,
        description="Capacity cap: at most this share of annual revenue; None = off",
    )
    cash_in_advance_grades: tuple[int, ...] = Field(
        (10,), description="Grades that get no credit at all: cash in advance"
    )
    rounding_step: float = Field(
        1_000.0, gt=0, description="Limits are rounded down to a multiple of this amount"
    )

    @field_validator("grade_multipliers")
    @classmethod
    def _multipliers_non_negative(cls, values: tuple[float, ...]) -> tuple[float, ...]:
        if not values:
            raise ValueError("grade_multipliers needs one multiplier per grade; got none")
        if any(v < 0 for v in values):
            raise ValueError(f"grade_multipliers must be >= 0; got {list(values)}")
        return values

    @model_validator(mode="after")
    def _cash_grades_exist(self) -> CreditLimitPolicy:
        n = len(self.grade_multipliers)
        bad = [g for g in self.cash_in_advance_grades if not 1 <= g <= n]
        if bad:
            raise ValueError(f"cash_in_advance_grades must be between 1 and {n}; got {bad}")
        return self

    def check_matches(self, scale: MasterScalePolicy) -> None:
        """Fail when the limit rules and the master scale disagree on the number of grades."""
        if len(self.grade_multipliers) != scale.n_grades:
            raise ValueError(
                f"credit_limit.grade_multipliers has {len(self.grade_multipliers)} entries but "
                f"the master scale has {scale.n_grades} grades; give one multiplier per grade"
            )


class ExpertFactor(BaseModel):
    """One factor of the expert scorecard: a registered feature cut into bands by ``edges``,
    with the points each band scores.

    A value belongs to the first band whose upper edge it does not exceed (``edges`` [2, 7]
    make three bands: up to 2, above 2 up to 7, above 7), so ``points`` has one entry more
    than ``edges``. Points are relative to a typical customer: the neutral band scores 0,
    more points mean a safer customer. ``missing_points`` is scored when the feature has no
    value (no payment record yet, financials not reported); it is never above 0, so a
    customer never gains by not having data.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    edges: tuple[float, ...] = Field(
        description="Upper edge of each band but the last, strictly increasing"
    )
    points: tuple[float, ...] = Field(
        description="Points of each band, one more than edges; the neutral band scores 0"
    )
    missing_points: float = Field(
        0.0, le=0, description="Points when the feature has no value; at most 0 (neutral)"
    )

    @field_validator("edges")
    @classmethod
    def _edges_are_bands(cls, edges: tuple[float, ...]) -> tuple[float, ...]:
        if not edges:
            raise ValueError("edges needs at least one edge (two bands); got none")
        if any(not math.isfinite(e) for e in edges):
            raise ValueError(f"edges must be finite numbers; got {list(edges)}")
        if any(lo >= hi for lo, hi in itertools.pairwise(edges)):
            raise ValueError(f"edges must be strictly increasing; got {list(edges)}")
        return edges

    @field_validator("points")
    @classmethod
    def _points_have_a_neutral_band(cls, points: tuple[float, ...]) -> tuple[float, ...]:
        if any(not math.isfinite(p) for p in points):
            raise ValueError(f"points must be finite numbers; got {list(points)}")
        if 0 not in points:
            raise ValueError(
                f"points need a neutral band scoring 0 (the typical customer); got {list(points)}"
            )
        return points

    @model_validator(mode="after")
    def _one_point_per_band(self) -> ExpertFactor:
        if len(self.points) != len(self.edges) + 1:
            raise ValueError(
                f"points needs one entry per band: {len(self.edges)} edges make "
                f"{len(self.edges) + 1} bands; got {len(self.points)} points"
            )
        return self


def _factor(edges: tuple[float, ...], points: tuple[float, ...], missing: float) -> ExpertFactor:
    return ExpertFactor(edges=edges, points=points, missing_points=missing)


# The seeds of credit evaluation, each a registered customer feature; see default_policy.yaml.
DEFAULT_EXPERT_FACTORS: Mapping[str, ExpertFactor] = MappingProxyType(
    {
        # Payment record: average and recent days late, share paid by the due date.
        "days_late_mean_12m": _factor((2, 7, 15, 30), (8, 0, -10, -20, -35), -4),
        "payment_delay_recent": _factor((0, 7, 20, 45), (4, 0, -6, -12, -20), -2),
        "on_time_share_12m": _factor((0.25, 0.5, 0.8), (-8, -4, 0, 4), -2),
        # Overdue now: share of open receivables overdue, age of the oldest overdue invoice.
        "overdue_share": _factor((0, 0.1, 0.3, 0.6), (0, -3, -8, -15, -22), 0),
        "max_days_overdue": _factor((0, 15, 30, 60, 90), (0, -3, -8, -18, -30, -45), 0),
        "days_late_trend": _factor((-5, 5, 10, 20), (3, 0, -5, -10, -15), 0),
        "dispute_rate_12m": _factor((0, 0.05, 0.15), (2, 0, -5, -10), 0),
        # Relationship: tenure and trading volume.
        "tenure_days": _factor((182, 365, 730, 1825), (-10, -5, 0, 3, 6), -10),
        "invoice_count_12m": _factor((0, 6, 24), (-4, -2, 0, 2), -4),
        # Financials and bureau, where reported.
        "current_ratio": _factor((0.8, 1.0, 1.5, 2.0), (-10, -5, 0, 3, 5), -2),
        "leverage": _factor((0.4, 0.6, 0.8, 1.0), (5, 0, -5, -10, -20), -2),
        "bureau_score": _factor((500, 550, 600, 650, 700), (-20, -10, 0, 5, 10, 15), -3),
    }
)


class ExpertScorecardPolicy(BaseModel):
    """Points per factor, the fallback PD when no default-PD or onboarding model is loaded.

    A customer's points are the sum of its factors' band points (0 for a typical customer,
    positive safer). The PD is ``1 / (1 + exp(-(a + b × points)))`` with
    ``a = ln(portfolio_default_rate / (1 − portfolio_default_rate))`` and
    ``b = −ln 2 / points_to_double_odds``: a customer typical in every factor gets the
    portfolio default rate, and every ``points_to_double_odds`` points halve (or, below 0,
    double) the odds of default.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    portfolio_default_rate: float = Field(
        0.02,
        gt=0,
        lt=1,
        description="12-month default rate of a typical customer of the book (2%)",
    )
    points_to_double_odds: float = Field(
        20.0, gt=0, description="Points that halve the odds of default (20, as the master scale)"
    )
    factors: dict[str, ExpertFactor] = Field(
        default_factory=lambda: dict(DEFAULT_EXPERT_FACTORS),
        description=(
            "Feature name -> bands and points; a factors mapping in the policy file replaces "
            "the default factors as a whole"
        ),
    )

    @field_validator("factors")
    @classmethod
    def _factors_are_registered(cls, factors: dict[str, ExpertFactor]) -> dict[str, ExpertFactor]:
        if not factors:
            raise ValueError("factors needs at least one factor; got none")
        for name, factor in factors.items():
            spec = FEATURES.get(name)
            if spec is None or name not in CUSTOMER_FEATURES:
                raise ValueError(
                    f"{name!r} is not a customer feature of the registry "
                    "(see features/registry.py or `arscore features`)"
                )
            if spec.kind != "numeric":
                raise ValueError(f"{name!r} is categorical; a factor needs a numeric feature")
            steps = [hi - lo for lo, hi in itertools.pairwise(factor.points)]
            if spec.monotone == 1 and any(step > 0 for step in steps):
                raise ValueError(
                    f"{name}.points must not rise with the value: a higher {name} never lowers "
                    f"risk; got {list(factor.points)}"
                )
            if spec.monotone == -1 and any(step < 0 for step in steps):
                raise ValueError(
                    f"{name}.points must not fall with the value: a higher {name} never raises "
                    f"risk; got {list(factor.points)}"
                )
        return factors

    @property
    def intercept(self) -> float:
        """``a``: the log-odds of default at 0 points (the portfolio default rate)."""
        rate = self.portfolio_default_rate
        return math.log(rate / (1.0 - rate))

    @property
    def slope(self) -> float:
        """``b``: the change in log-odds of default per point (negative: points are safer)."""
        return -math.log(2.0) / self.points_to_double_odds
