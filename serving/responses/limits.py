"""Answers of ``/v1/limit-checks`` and ``PUT /v1/customers/{id}/credit-limit``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from serving.responses.common import DataWarning, Response


class LimitReason(Response):
    code: str = Field(description="within_limit, over_limit, no_credit_limit, …")
    text: str


class LimitCheck(Response):
    decision_id: str
    customer_id: str
    amount: float
    decision: Literal["approve", "refer", "decline"]
    credit_limit: float | None
    exposure: float
    available_credit: float | None
    available_after: float | None = Field(description="Available credit after this order")
    reasons: list[LimitReason]
    as_of: str
    data_as_of: str | None
    warnings: list[DataWarning]


class CreditLimitChange(Response):
    decision_id: str
    customer_id: str
    previous_credit_limit: float | None
    credit_limit: float
    reason: str
    changed_by: str
    changed_at: str
