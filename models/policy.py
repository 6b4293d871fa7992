"""The credit-policy sections the model layer reads: the master scale and the credit-limit rules.

They are pydantic models with ``extra="forbid"`` so a typo in the policy file fails loudly; the
``arscore`` package composes them into the one policy file. Defaults are documented where they
are declared so the policy file can be read without this code.
"""

from __future__ import annotations

import itertools

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


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
