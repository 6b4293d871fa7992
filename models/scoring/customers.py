"""Customer scores: ``POST /v1/scores`` and batch rescoring both call :func:`score_customers`,
so a customer scored either way gets the same numbers.

A score combines the models (default PD with reason codes, the probability that the next
invoice is paid late, expected days late) with the policy's rules (aging, overdue risk grade,
early warnings, recommended credit limit). Every model is optional: without a default-PD model
the proxy model (severe delinquency calibrated down to the default rate) gives the PD, grade,
score, reasons and limit, and without either the policy's expert scorecard does
(:attr:`CustomerScore.pd_basis` names the tier); the fields of any other missing model are
``None`` and :attr:`CustomerScore.unavailable` says why, while the rule-based fields are always
filled.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from features.aging import CustomerAging, customer_aging
from features.customer import AsOf, customer_features_at
from features.ledger_arrays import LedgerArrays, from_day, to_day
from ledger.frames import Ledger
from models.expert_scorecard import score_expert
from models.jsonable import jsonable
from models.limits import LimitRecommendation, recommend_limit
from models.master_scale import grade_of, score_of
from models.reasons import Explanation, FeatureText
from models.rounding import rounded
from models.scoring.common import (
    ScoringModels,
    ScoringPolicy,
    aging_figures,
    financials_of,
    limit_dict,
    optional_number,
    prepare,
    reason_dicts,
)
from models.scoring.invoices import next_invoice_frame
from models.tasks import PdBasis, Task


@dataclass(frozen=True)
class CustomerScore:
    """Everything known about one customer's credit risk at ``as_of``."""

    customer_id: str
    as_of: dt.date
    default_probability: float
    pd_basis: PdBasis
    late_payment_probability: float | None
    expected_days_late: float | None
    risk_grade: int
    score: float
    recommended_credit_limit: dict[str, Any]
    current_credit_limit: float | None
    reasons: list[dict[str, Any]]
    aging: dict[str, Any]
    overdue_risk: dict[str, str]
    early_warnings: list[dict[str, Any]]
    recommended_action: str
    model_versions: dict[str, str]
    unavailable: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, every field in declaration order (dates as ISO text, no NaN), rounded as
        every answer is (:mod:`models.rounding`)."""
        return rounded(jsonable({f.name: getattr(self, f.name) for f in fields(self)}))


@dataclass(frozen=True)
class _Predictions:
    """The models' outputs for a batch of customers: None where the model is not loaded, and
    ``unavailable`` says, per score field, why it is empty."""

    default_pd: NDArray[np.float64]
    pd_basis: PdBasis
    explanations: list[Explanation]
    late_payment: NDArray[np.float64] | None
    days_late: NDArray[np.float64] | None
    grades: NDArray[np.int64]
    scores: NDArray[np.float64]
    unavailable: dict[str, str]


def _predict(
    features: pd.DataFrame,
    as_of_day: int,
    models: ScoringModels,
    policy: ScoringPolicy,
    top_n: int,
    texts: Mapping[str, FeatureText] | None,
) -> _Predictions:
    """Every loaded model's predictions for the customers in ``features``, in one pass each;
    the PD and its reasons come from the default-PD model, else the proxy model, else the
    policy's expert scorecard."""
    unavailable: dict[str, str] = {}
    tiers = ((models.default_pd, PdBasis.MODEL), (models.proxy_pd, PdBasis.PROXY_MODEL))
    bundle, basis = next(((b, t) for b, t in tiers if b is not None), (None, None))
    if bundle is not None and basis is not None:
        # Each bundle reads its own columns from the whole frame (to_matrix ignores the
        # others): no copy of the frame per model.
        pd_values, explanations = bundle.predict_and_explain(features, top_n, texts)
    else:
        expert = score_expert(features, policy.expert_scorecard, top_n, texts)
        pd_values, explanations = expert.pd, expert.explanations
        basis = PdBasis.EXPERT_SCORECARD

    late_values: NDArray[np.float64] | None = None
    days_values: NDArray[np.float64] | None = None
    if models.late_payment is not None or models.days_late is not None:
        next_invoice = next_invoice_frame(features, as_of_day)
        if models.late_payment is not None:
            late_values = models.late_payment.predict_pd(next_invoice)
        if models.days_late is not None:
            days_values = models.days_late.predict(next_invoice)
    if late_values is None:
        unavailable["late_payment_probability"] = models.reason_missing(Task.LATE_PAYMENT)
    if days_values is None:
        unavailable["expected_days_late"] = models.reason_missing(Task.DAYS_LATE)

    grades = grade_of(pd_values, policy.master_scale)
    scores = np.round(score_of(pd_values, policy.master_scale), 1)
    return _Predictions(
        pd_values, basis, explanations, late_values, days_values, grades, scores, unavailable
    )


def _recommended_limits(
    pd_values: NDArray[np.float64],
    features: pd.DataFrame,
    customers: pd.DataFrame,
    policy: ScoringPolicy,
) -> list[LimitRecommendation]:
    """Each customer's recommended limit from its PD, trade need and financials."""
    financials = financials_of(customers)
    monthly = features["invoice_amount_12m"].to_numpy(dtype=float) / 12.0
    terms = features["payment_terms_days"].to_numpy(dtype=float)
    return [
        recommend_limit(
            pd=float(pd_values[i]),
            average_monthly_invoiced=float(np.nan_to_num(monthly[i])),
            payment_terms_days=int(terms[i]) if math.isfinite(terms[i]) else 0,
            financials=financials[i],
            policy=policy.credit_limits,
            scale=policy.master_scale,
        )
        for i in range(len(features))
    ]


def _warnings_by_customer(warnings: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """The early-warning signals of each customer, as records in the aging's order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for w in warnings.to_dict(orient="records"):
        out.setdefault(str(w["customer_id"]), []).append(
            {
                "code": w["code"],
                "message": w["message"],
                "value": optional_number(w["value"]),
                "threshold": optional_number(w["threshold"]),
            }
        )
    return out


def _aging_dict(aging: CustomerAging, row: Mapping[Hashable, Any]) -> dict[str, Any]:
    return {
        **aging_figures(row, aging.buckets),
        "open_orders": float(row["open_orders"]),
        "exposure": float(row["exposure"]),
    }


def _action(strategy: str, rec: LimitRecommendation | None, current: float | None) -> str:
    """The policy's overdue-risk strategy, preceded by the limit step where the model asks for
    one (cash in advance, or a recommended limit below the approved one)."""
    if rec is not None and rec.cash_in_advance:
        return f"Require cash in advance (risk grade {rec.grade}). {strategy}"
    if rec is not None and current is not None and rec.amount < current:
        return f"Reduce the credit limit to {rec.amount:,.0f}. {strategy}"
    return strategy


def _customer_score(
    i: int,
    customer_id: str,
    as_of: dt.date,
    row: Mapping[Hashable, Any],
    aging: CustomerAging,
    predictions: _Predictions,
    rec: LimitRecommendation,
    current: float | None,
    signals: list[dict[str, Any]],
    models: ScoringModels,
    currency: str,
) -> CustomerScore:
    """The ``i``-th customer's score from the batch's predictions and its aging ``row``."""
    p = predictions
    overdue = {"grade": str(row["risk_grade"]), "strategy": str(row["strategy"])}
    return CustomerScore(
        customer_id=customer_id,
        as_of=as_of,
        default_probability=float(p.default_pd[i]),
        pd_basis=p.pd_basis,
        late_payment_probability=None if p.late_payment is None else float(p.late_payment[i]),
        expected_days_late=None if p.days_late is None else float(p.days_late[i]),
        risk_grade=int(p.grades[i]),
        score=float(p.scores[i]),
        recommended_credit_limit=limit_dict(rec, currency),
        current_credit_limit=current,
        reasons=reason_dicts(p.explanations[i]),
        aging=_aging_dict(aging, row),
        overdue_risk=overdue,
        early_warnings=signals,
        recommended_action=_action(overdue["strategy"], rec, current),
        model_versions=dict(models.versions),
        unavailable=dict(p.unavailable),
    )


def score_customers(
    ledger: Ledger | LedgerArrays,
    as_of: AsOf,
    models: ScoringModels,
    policy: ScoringPolicy,
    *,
    customer_ids: Sequence[str] | None = None,
    top_n: int = 3,
    texts: Mapping[str, FeatureText] | None = None,
    currency: str = "EUR",
) -> list[CustomerScore]:
    """Score every customer of ``ledger`` (or ``customer_ids``) as of ``as_of``.

    Vectorised over customers, so the API (one customer) and rescoring (all) run the same code
    and a customer's result does not depend on which others are scored with it.
    """
    arrays = ledger if isinstance(ledger, LedgerArrays) else prepare(ledger, customer_ids)
    t = to_day(as_of)
    as_of_date = from_day(t).date()
    features = customer_features_at(arrays, t, policy.rules.features)
    aging = customer_aging(arrays, from_day(t), policy.rules, features=features)
    predictions = _predict(features, t, models, policy, top_n, texts)
    limits = _recommended_limits(predictions.default_pd, features, arrays.customers, policy)
    warnings = _warnings_by_customer(aging.warnings)
    # Plain per-customer records: a pandas row lookup per customer would dominate rescoring.
    rows = aging.customers.to_dict(orient="records")
    current = arrays.cust_limit
    ids = [str(c) for c in features.index]
    return [
        _customer_score(
            i,
            cid,
            as_of_date,
            rows[i],
            aging,
            predictions,
            limits[i],
            optional_number(current[i]),
            warnings.get(cid, []),
            models,
            currency,
        )
        for i, cid in enumerate(ids)
    ]
