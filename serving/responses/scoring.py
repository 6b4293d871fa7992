"""Answers of ``/v1/scores`` and ``/v1/onboarding/scores``, and the pieces a score shares
with the aging and collections views."""

from __future__ import annotations

from pydantic import Field

from serving.responses.common import DataWarning, Response


class Reason(Response):
    """A feature that moved the PD, strongest first."""

    feature: str
    value: float | str | None
    contribution: float = Field(description="Effect on the log-odds of default")
    direction: str = Field(description="raises or lowers")
    text: str


class LimitRule(Response):
    rule: str
    value: float | None
    explanation: str


class LimitRecommendation(Response):
    amount: float
    currency: str
    basis: str = Field(description="The rule that binds and why")
    binding_rule: str
    rules: list[LimitRule]


class OverdueRisk(Response):
    grade: str = Field(description="low, medium, high or critical")
    strategy: str


class EarlyWarning(Response):
    code: str
    message: str
    value: float | None
    threshold: float | None


class AgingFigures(Response):
    buckets: dict[str, float] = Field(description="Open amount per aging bucket")
    total_open: float
    unapplied_credit: float = Field(
        description="Credit notes not yet netted against an open invoice; lowers the exposure"
    )
    total_overdue: float
    max_days_overdue: float | None
    dso: float | None
    overdue_ratio: float | None


class ScoreAging(AgingFigures):
    open_orders: float
    exposure: float


class CustomerScore(Response):
    """A customer's score, as returned and as recorded under ``decision_id``."""

    decision_id: str
    customer_id: str
    as_of: str
    default_probability: float
    pd_basis: str = Field(description="Which tier gave the PD: model or expert_scorecard")
    late_payment_probability: float | None
    expected_days_late: float | None = Field(description="Negative: paid early")
    risk_grade: int
    score: float
    recommended_credit_limit: LimitRecommendation
    current_credit_limit: float | None
    reasons: list[Reason]
    aging: ScoreAging
    overdue_risk: OverdueRisk
    early_warnings: list[EarlyWarning]
    recommended_action: str
    model_versions: dict[str, str]
    unavailable: dict[str, str] = Field(description="Per empty field: why no model gave it")
    data_as_of: str | None
    warnings: list[DataWarning]


class ApplicantScore(Response):
    """An applicant's score, as returned and as recorded under ``decision_id``."""

    decision_id: str
    as_of: str
    default_probability: float
    pd_basis: str = Field(description="Which tier gave the PD: model or expert_scorecard")
    risk_grade: int
    score: float
    recommended_credit_limit: LimitRecommendation
    reasons: list[Reason]
    recommended_action: str
    requested_limit: float
    payment_terms_days: int
    model_versions: dict[str, str]
