"""Request bodies: unknown fields are refused, strings and lists bounded, amounts finite."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ledger.storage import ID_MAX_LENGTH, ID_PATTERN

# The one id rule (ledger.storage.ID_PATTERN); surrounding whitespace is stripped first.
CustomerId = Annotated[str, Field(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]
Money = Annotated[float, Field(ge=0, le=1e15, allow_inf_nan=False)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ScoreRequest(_Request):
    """Score an existing customer as of a date (the ledger's as-of date when omitted)."""

    customer_id: CustomerId
    as_of: dt.date | None = None


class LimitCheckRequest(_Request):
    """Can this customer take a new order of ``amount`` on credit?"""

    customer_id: CustomerId
    amount: Annotated[float, Field(gt=0, le=1e15, allow_inf_nan=False)]


class CreditLimitRequest(_Request):
    """Set the approved credit limit; the reason is kept in the audit trail."""

    amount: Money
    reason: Annotated[str, Field(min_length=3, max_length=500)]


class OnboardingRequest(_Request):
    """An applicant's profile: what a new customer can tell us before any trading."""

    name: Annotated[str, Field(min_length=1, max_length=200)] = "applicant"
    industry: Annotated[str, Field(min_length=1, max_length=100)]
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    payment_terms_days: Annotated[int, Field(ge=0, le=365)]
    requested_limit: Annotated[float, Field(gt=0, le=1e15, allow_inf_nan=False)]
    years_in_business: Annotated[float | None, Field(ge=0, le=1000, allow_inf_nan=False)] = None
    annual_revenue: Annotated[float | None, Field(ge=0, le=1e15, allow_inf_nan=False)] = None
    employees: Annotated[int | None, Field(ge=0, le=10_000_000)] = None
    total_assets: Annotated[float | None, Field(ge=0, le=1e15, allow_inf_nan=False)] = None
    total_liabilities: Annotated[float | None, Field(ge=0, le=1e15, allow_inf_nan=False)] = None
    current_assets: Annotated[float | None, Field(ge=0, le=1e15, allow_inf_nan=False)] = None
    current_liabilities: Annotated[float | None, Field(ge=0, le=1e15, allow_inf_nan=False)] = None
    net_income: Annotated[float | None, Field(ge=-1e15, le=1e15, allow_inf_nan=False)] = None
    bureau_score: Annotated[float | None, Field(ge=0, le=10_000, allow_inf_nan=False)] = None
    as_of: dt.date | None = None


class RescoreRequest(_Request):
    as_of: dt.date | None = None
