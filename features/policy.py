"""The credit-policy sections the features layer reads: feature windows, aging buckets, overdue
risk grades, the collection ladder and early-warning thresholds.

Each section is a pydantic model with documented defaults, so a policy file only has to state
what it changes. ``arscore.policy.Policy`` composes these sections (and later ones) into the one
policy file; functions here take :class:`RulesPolicy`, which any ``Policy`` is.
"""

from __future__ import annotations

import itertools
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

GRADES: tuple[str, ...] = ("low", "medium", "high", "critical")
Grade = Literal["low", "medium", "high", "critical"]


class _Section(BaseModel):
    """Strict, immutable base: an unknown key is a typo, not something to ignore."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FeaturePolicy(_Section):
    """How payment behaviour is measured. Windows are fixed at 3/6/12 months (91/182/365 days)
    because feature names carry them; these settings tune the measures inside the windows."""

    on_time_grace_days: int = Field(
        0, ge=0, le=30, description="An invoice settled this many days after due still counts"
    )
    dso_period_days: int = Field(
        91, ge=28, le=365, description="Sales period for DSO, best possible DSO and CEI"
    )
    dso_cap_days: int = Field(
        365, ge=90, le=3650, description="DSO reported when sales cannot cover open AR"
    )
    recency_half_life_days: float = Field(
        60.0,
        gt=0,
        le=365,
        description="Half-life of the weights of the recency-weighted payment delay: a payment "
        "this many days old counts half as much as one made today",
    )
    late_after_days: int = Field(
        30,
        ge=0,
        le=365,
        description="Days after due that make an invoice late in prior_late_share; keep it equal "
        "to training.late_after_days so the feature speaks the late-payment label's language",
    )


class AgingPolicy(_Section):
    """Aging buckets by days overdue. Edges ``[0, 30, 60]`` give: current (not overdue),
    1-30, 31-60 and over 60 days."""

    bucket_edges: tuple[int, ...] = Field(
        (0, 30, 60, 90, 180), description="Upper day of each bucket; first must be 0 (current)"
    )
    bad_debt_window_days: int = Field(
        365, ge=28, le=3650, description="Window for the written-off (bad-debt) ratio"
    )

    @field_validator("bucket_edges")
    @classmethod
    def _edges_valid(cls, edges: tuple[int, ...]) -> tuple[int, ...]:
        if not edges or edges[0] != 0:
            raise ValueError(f"must start at 0 (the current bucket); got {list(edges)}")
        if any(b <= a for a, b in itertools.pairwise(edges)):
            raise ValueError(f"must increase strictly; got {list(edges)}")
        return edges

    @property
    def labels(self) -> tuple[str, ...]:
        """Bucket names in order: ``current``, ``1-30``, ..., ``over 180``."""
        edges = self.bucket_edges
        middle = [f"{a + 1}-{b}" for a, b in itertools.pairwise(edges)]
        return ("current", *middle, f"over {edges[-1]}")


class GradeThresholds(_Section):
    """The value from which a measure puts a customer at each grade; ``null`` means this
    measure alone never reaches that grade."""

    medium: float | None = None
    high: float | None = None
    critical: float | None = None

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> GradeThresholds:
        pairs = (("medium", self.medium), ("high", self.high), ("critical", self.critical))
        set_ = [(g, v) for g, v in pairs if v is not None]
        for (g1, v1), (g2, v2) in itertools.pairwise(set_):
            if v2 < v1:
                raise ValueError(f"{g2} threshold {v2} is below the {g1} threshold {v1}")
        if any(v < 0 for _, v in set_):
            raise ValueError("thresholds must be >= 0")
        return self


def _share_thresholds(t: GradeThresholds) -> GradeThresholds:
    for grade in ("medium", "high", "critical"):
        value = getattr(t, grade)
        if value is not None and value > 1:
            raise ValueError(f"{grade} is a share between 0 and 1; got {value}")
    return t


class OverdueRiskPolicy(_Section):
    """Overdue risk grade: the worst grade reached by any of three measures, each compared with
    its thresholds (value >= threshold reaches the grade)."""

    days_overdue: GradeThresholds = Field(
        GradeThresholds(medium=15, high=45, critical=90),
        description="Days overdue of the oldest material open invoice",
    )
    overdue_share: GradeThresholds = Field(
        GradeThresholds(medium=0.10, high=0.30, critical=None),
        description="Overdue AR as a share of open AR (0-1)",
    )
    late_share: GradeThresholds = Field(
        GradeThresholds(medium=0.30, high=0.60, critical=None),
        description="Share of invoices settled late over the last 12 months (0-1)",
    )
    min_overdue_amount: float = Field(
        100.0, ge=0, description="Overdue amounts below this are immaterial (account currency)"
    )
    strategies: dict[Grade, str] = Field(
        {
            "low": "Keep terms; send friendly reminders.",
            "medium": "Follow-up calls; review the account more tightly.",
            "high": "Collect early; cut the credit limit; restrict new orders.",
            "critical": "Stop supply; start legal or third-party collection.",
        },
        description="What to do at each grade",
    )

    @field_validator("overdue_share", "late_share")
    @classmethod
    def _shares_valid(cls, thresholds: GradeThresholds) -> GradeThresholds:
        return _share_thresholds(thresholds)

    @field_validator("strategies")
    @classmethod
    def _strategies_complete(cls, strategies: dict[str, str]) -> dict[str, str]:
        missing = [g for g in GRADES if g not in strategies]
        if missing:
            raise ValueError(f"must give a strategy for every grade; missing {missing}")
        return strategies


class CollectionStep(_Section):
    """One rung of the dunning ladder, reached at ``from_days_overdue``."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    from_days_overdue: int = Field(ge=1)
    action: str


RESERVED_STEPS: tuple[str, ...] = ("none", "reminder_before_due", "dispute_resolution")


class CollectionPolicy(_Section):
    """The collection ladder for open invoices: by days overdue, faster for large amounts,
    capped for small ones; a disputed invoice is resolved, not dunned."""

    reminder_days_before_due: int = Field(
        5, ge=0, le=60, description="Send a reminder this many days before the due date"
    )
    reminder_action: str = "Send a reminder before the due date"
    steps: tuple[CollectionStep, ...] = (
        CollectionStep(
            code="friendly_reminder", from_days_overdue=1, action="Send a friendly reminder"
        ),
        CollectionStep(
            code="call_and_plan",
            from_days_overdue=15,
            action="Call the customer and agree a repayment plan",
        ),
        CollectionStep(
            code="formal_demand",
            from_days_overdue=45,
            action="Send a formal demand; stop supply until paid",
        ),
        CollectionStep(
            code="agency_or_legal",
            from_days_overdue=90,
            action="Hand over to a collection agency or start legal action",
        ),
    )
    large_amount: float | None = Field(
        50_000.0, gt=0, description="Open amounts from this size escalate faster (null: never)"
    )
    large_amount_day_factor: float = Field(
        0.5, gt=0, le=1, description="Day thresholds are multiplied by this for large amounts"
    )
    small_amount: float = Field(
        500.0, ge=0, description="Open amounts below this stop at small_amount_last_step"
    )
    small_amount_last_step: str = Field(
        "formal_demand", description="Highest step for small amounts (legal costs more)"
    )
    dispute_action: str = "Resolve the dispute before any dunning"

    @model_validator(mode="after")
    def _ladder_valid(self) -> CollectionPolicy:
        if not self.steps:
            raise ValueError("steps must list at least one collection step")
        codes = [s.code for s in self.steps]
        if len(set(codes)) != len(codes):
            raise ValueError(f"step codes must be unique; got {codes}")
        clash = sorted(set(codes) & set(RESERVED_STEPS))
        if clash:
            raise ValueError(f"step codes {clash} are reserved")
        days = [s.from_days_overdue for s in self.steps]
        if any(b <= a for a, b in itertools.pairwise(days)):
            raise ValueError(f"steps' from_days_overdue must increase strictly; got {days}")
        if self.small_amount_last_step not in codes:
            raise ValueError(
                f"small_amount_last_step {self.small_amount_last_step!r} is not one of {codes}"
            )
        return self


class EarlyWarningPolicy(_Section):
    """Thresholds of the early-warning signals raised per customer."""

    overdue_share_above: float = Field(
        0.30, ge=0, le=1, description="Overdue AR share of open AR above this"
    )
    dso_rise_days: float = Field(
        30.0, ge=0, description="DSO at least this many days above the customer's usual DSO"
    )
    dso_rise_ratio: float = Field(
        0.5, ge=0, description="... and at least this share above it (0.5 = +50%)"
    )
    days_late_trend_above: float = Field(
        10.0, ge=0, description="Recent mean days late minus older mean days late above this"
    )
    utilisation_above: float = Field(
        0.90, ge=0, le=1, description="Exposure (open AR + open orders) / limit above this"
    )
    new_dispute_within_days: int = Field(
        30, ge=0, description="A dispute raised within this many days"
    )
    payment_silence_factor: float = Field(
        2.0, ge=1, description="No payment for this many times the usual payment gap"
    )
    payment_silence_min_days: int = Field(
        30, ge=1, description="... and for at least this many days, while AR is open"
    )


class RulesPolicy(_Section):
    """Every policy section the features layer uses; ``arscore.policy.Policy`` extends it."""

    features: FeaturePolicy = FeaturePolicy()
    aging: AgingPolicy = AgingPolicy()
    overdue_risk: OverdueRiskPolicy = OverdueRiskPolicy()
    collection: CollectionPolicy = CollectionPolicy()
    early_warnings: EarlyWarningPolicy = EarlyWarningPolicy()


DEFAULT_RULES = RulesPolicy()
