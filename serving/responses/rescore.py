"""Answers of portfolio rescoring: the job, its progress, and the stored scores."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from serving.responses.common import DataWarning, Response
from serving.responses.scoring import Reason

JobStatus = Literal["queued", "running", "done", "failed"]


class RescoreStarted(Response):
    job_id: str
    status: JobStatus
    as_of: str
    data_as_of: str | None
    warnings: list[DataWarning]


class RescoreJob(Response):
    job_id: str
    as_of: str
    data_as_of: str | None
    status: JobStatus
    total: int = Field(description="Customers to score")
    done: int = Field(description="Customers scored so far")
    progress: float = Field(description="done / total, 0 before the job counts its customers")
    model_versions: dict[str, str]
    error: str | None = Field(
        description="Why the job failed; on a done job, the customers it could not score and "
        "why (their broken data did not stop the others); null when there is nothing to say"
    )


class StoredScore(Response):
    """One customer's row of a finished run."""

    run_id: str
    customer_id: str
    as_of: str
    default_probability: float | None
    late_payment_probability: float | None
    expected_days_late: float | None
    risk_grade: int | None
    score: int | None
    recommended_credit_limit: float | None
    current_credit_limit: float | None
    limit_rule: str | None = Field(
        None, description="The limit rule that set the recommended limit; null on old rows"
    )
    limit_basis: str | None = Field(
        None, description="Why that rule gave that limit, in words; null on old rows"
    )
    overdue_risk: str | None
    reasons: list[Reason]
    early_warnings: list[str] = Field(description="Codes of the early warnings raised")
    pd_basis: str | None = Field(description="model or expert_scorecard; null on old rows")
    previous_risk_grade: int | None = Field(
        description="The grade in the latest run as of an earlier date; null if none"
    )


class PortfolioScores(Response):
    run_id: str
    previous_run_id: str | None
    as_of: str
    data_as_of: str | None
    count: int = Field(description="Rows matching the filters (before the limit)")
    scores: list[StoredScore]
