"""Request bodies: unknown fields are refused, strings and lists bounded, amounts finite,
numbers and dates strict (``true``, ``"5e3"`` or ``0`` is not an amount or a date)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from ledger.storage import ID_MAX_LENGTH, ID_PATTERN

# The one id rule (ledger.storage.ID_PATTERN); surrounding whitespace is stripped first.
CustomerId = Annotated[str, Field(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]
# Strict numbers: a JSON number, never a boolean or a numeric string; an int is a float.
Money = Annotated[float, Field(strict=True, ge=0, le=1e15, allow_inf_nan=False)]
Amount = Annotated[float, Field(strict=True, gt=0, le=1e15, allow_inf_nan=False)]
OptionalMoney = Annotated[float | None, Field(strict=True, ge=0, le=1e15, allow_inf_nan=False)]

# A date is a string ``YYYY-MM-DD`` from 1900 on, and the schema says so: pydantic's lax mode
# would read ``0`` or ``1577836800`` as a Unix time and ``"2020-01-01T00:00"`` as a day, so a
# typo became a score as of 1970. No ledger goes back before 1900 (check_as_of refuses it), so
# the pattern leaves those years out rather than accepting what the service then refuses.
ISO_DATE_PATTERN = r"^(19\d\d|[2-9]\d\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
_ISO_DATE = re.compile(ISO_DATE_PATTERN)


def _iso_date_text(value: object) -> object:
    """Only an ISO date string (or a ``date`` from Python callers) goes on to be parsed."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = value.isoformat()
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value.strip()):
        raise ValueError(f"must be a date written YYYY-MM-DD, 1900-01-01 or later; got {value!r}")
    return value.strip()


IsoDate = Annotated[
    dt.date,
    BeforeValidator(_iso_date_text),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": ISO_DATE_PATTERN,
            "description": "A day written YYYY-MM-DD, 1900-01-01 or later",
        }
    ),
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ScoreRequest(_Request):
    """Score an existing customer as of a date (the ledger's as-of date when omitted)."""

    customer_id: CustomerId
    as_of: IsoDate | None = None


class LimitCheckRequest(_Request):
    """Can this customer take a new order of ``amount`` on credit?"""

    customer_id: CustomerId
    amount: Amount


class CreditLimitRequest(_Request):
    """Set the approved credit limit; the reason is kept in the audit trail."""

    amount: Money
    reason: Annotated[str, Field(min_length=3, max_length=500)]


class OnboardingRequest(_Request):
    """An applicant's profile: what a new customer can tell us before any trading."""

    name: Annotated[str, Field(min_length=1, max_length=200)] = "applicant"
    industry: Annotated[str, Field(min_length=1, max_length=100)]
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    payment_terms_days: Annotated[int, Field(strict=True, ge=0, le=365)]
    requested_limit: Amount
    years_in_business: Annotated[
        float | None, Field(strict=True, ge=0, le=1000, allow_inf_nan=False)
    ] = None
    annual_revenue: OptionalMoney = None
    employees: Annotated[int | None, Field(strict=True, ge=0, le=10_000_000)] = None
    total_assets: OptionalMoney = None
    total_liabilities: OptionalMoney = None
    current_assets: OptionalMoney = None
    current_liabilities: OptionalMoney = None
    net_income: Annotated[
        float | None, Field(strict=True, ge=-1e15, le=1e15, allow_inf_nan=False)
    ] = None
    bureau_score: Annotated[
        float | None, Field(strict=True, ge=0, le=10_000, allow_inf_nan=False)
    ] = None
    as_of: IsoDate | None = None


class RescoreRequest(_Request):
    """Rescore every customer as of a date (the ledger's as-of date when omitted)."""

    as_of: IsoDate | None = None
