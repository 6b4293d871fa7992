"""Applicant scores: a would-be customer scored from its profile alone, through the same
feature builder as every customer, with the onboarding model or, without one, the policy's
expert scorecard."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from features.customer import AsOf, customer_features_at
from features.ledger_arrays import LedgerArrays, from_day, to_day
from ledger.frames import Ledger
from ledger.schema import PROFILE_COLUMNS
from models.bundle import ModelBundle
from models.expert_scorecard import score_expert
from models.jsonable import jsonable
from models.limits import recommend_onboarding_limit
from models.master_scale import grade_of, score_of
from models.reasons import FeatureText
from models.rounding import rounded
from models.scoring.common import (
    ScoringPolicy,
    financials_of,
    limit_dict,
    reason_dicts,
)
from models.tasks import PdBasis


@dataclass(frozen=True)
class ApplicantScore:
    """An applicant's default probability, grade, score, reasons and recommended limit."""

    as_of: dt.date
    default_probability: float
    pd_basis: PdBasis
    risk_grade: int
    score: float
    recommended_credit_limit: dict[str, Any]
    reasons: list[dict[str, Any]]
    recommended_action: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, every field in declaration order (dates as ISO text, no NaN), rounded as
        every answer is (:mod:`models.rounding`)."""
        return rounded(jsonable({f.name: getattr(self, f.name) for f in fields(self)}))


def applicant_ledger(profile: Mapping[str, Any], as_of: dt.date, currency: str) -> Ledger:
    """A one-customer ledger holding only the applicant's profile (no trading yet), so the
    applicant's features come from the same builder as every customer's."""
    row = {
        "customer_id": "applicant",
        "name": str(profile.get("name") or "applicant"),
        "country": profile["country"],
        "industry": profile["industry"],
        "onboarding_date": pd.Timestamp(as_of),
        "payment_terms_days": int(profile["payment_terms_days"]),
        "credit_limit": None,
        "currency": currency,
    }
    for column in PROFILE_COLUMNS:
        row[column] = profile.get(column)
    return Ledger.from_frames(customers=pd.DataFrame([row]))


def _onboarding_action(grade: int, amount: float, requested: float, cash: bool) -> str:
    """What to do with the application: cash in advance, a smaller limit, or as requested."""
    if cash:
        return f"Trade on cash in advance only (risk grade {grade})."
    if amount < requested:
        return f"Open the account with a limit of {amount:,.0f}, below the request."
    return f"Open the account with the requested limit of {amount:,.0f}."


def score_applicant(
    profile: Mapping[str, Any],
    as_of: AsOf,
    model: ModelBundle | None,
    policy: ScoringPolicy,
    *,
    top_n: int = 3,
    texts: Mapping[str, FeatureText] | None = None,
    currency: str = "EUR",
) -> ApplicantScore:
    """Score a would-be customer from its profile alone: with the onboarding ``model``, or
    with the policy's expert scorecard when ``model`` is None.

    ``profile`` holds the customer-file columns an applicant provides (industry, country,
    payment_terms_days, financials, bureau score) and ``requested_limit``.
    """
    day = from_day(to_day(as_of)).date()
    ledger = applicant_ledger(profile, day, currency)
    features = customer_features_at(LedgerArrays.from_ledger(ledger), day, policy.rules.features)
    if model is not None:
        X = features[model.schema.names]
        pd_value = float(model.predict_pd(X)[0])
        explanation = model.explain(X, top_n=top_n, texts=texts)[0]
        basis = PdBasis.MODEL
    else:
        expert = score_expert(features, policy.expert_scorecard, top_n, texts)
        pd_value, explanation = float(expert.pd[0]), expert.explanations[0]
        basis = PdBasis.EXPERT_SCORECARD
    grade = int(grade_of([pd_value], policy.master_scale)[0])
    score = float(np.round(score_of([pd_value], policy.master_scale), 1)[0])
    requested = float(profile["requested_limit"])
    rec = recommend_onboarding_limit(
        pd=pd_value,
        requested_amount=requested,
        financials=financials_of(ledger.customers)[0],
        policy=policy.credit_limits,
        scale=policy.master_scale,
    )
    return ApplicantScore(
        as_of=day,
        default_probability=pd_value,
        pd_basis=basis,
        risk_grade=grade,
        score=score,
        recommended_credit_limit=limit_dict(rec, currency),
        reasons=reason_dicts(explanation),
        recommended_action=_onboarding_action(grade, rec.amount, requested, rec.cash_in_advance),
    )
