"""The one scoring function: ``POST /v1/scores`` and batch rescoring both call
:func:`score_customers`, so a customer scored either way gets the same numbers.

A score combines the models (default PD with reason codes, the probability that the next
invoice is paid late, expected days late) with the policy's rules (aging, overdue risk grade,
early warnings, recommended credit limit). Every model is optional: where one is not loaded the
fields it would fill are ``None`` and :attr:`CustomerScore.unavailable` says why, while the
rule-based fields are always filled.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from features.aging import CustomerAging, age_arrays, customer_aging
from features.customer import AsOf, customer_features_at
from features.invoice import build_invoice_features
from features.ledger_arrays import LedgerArrays, from_day, to_day
from features.policy import RulesPolicy
from features.registry import INVOICE_FEATURES
from ledger.frames import Ledger
from ledger.schema import PROFILE_COLUMNS
from models.bundle import ModelBundle
from models.errors import InvalidInputError
from models.limits import Financials, LimitRecommendation, recommend_limit
from models.master_scale import grade_of, score_of
from models.policy import CreditLimitPolicy, MasterScalePolicy
from models.reasons import Explanation, FeatureText, Reason, explain_row

DEFAULT_PD = "default_pd"
LATE_PAYMENT = "late_payment"
DAYS_LATE = "days_late"
MODEL_TASKS: tuple[str, ...] = (DEFAULT_PD, LATE_PAYMENT, DAYS_LATE)


class UnknownCustomerError(KeyError):
    """A requested customer is not in the ledger (the API answers 404)."""

    def __init__(self, customer_ids: Sequence[str]) -> None:
        super().__init__(list(customer_ids))
        self.customer_ids = list(customer_ids)

    def __str__(self) -> str:
        shown = ", ".join(repr(c) for c in self.customer_ids[:5])
        return f"unknown customer_id {shown}"


@dataclass(frozen=True)
class ScoringModels:
    """The champions in use, each optional; ``versions`` names each loaded model's registered
    version (recorded with every decision) and ``unavailable`` says why a task has no model."""

    default_pd: ModelBundle | None = None
    late_payment: ModelBundle | None = None
    days_late: ModelBundle | None = None
    versions: Mapping[str, str] = field(default_factory=dict)
    unavailable: Mapping[str, str] = field(default_factory=dict)

    def reason_missing(self, task: str) -> str:
        return self.unavailable.get(task, f"no {task} model is loaded")


@dataclass(frozen=True)
class ScoringPolicy:
    """The parts of the credit policy scoring reads (the composition root passes its Policy)."""

    rules: RulesPolicy
    master_scale: MasterScalePolicy
    credit_limits: CreditLimitPolicy
    version: str = "unversioned"

    @classmethod
    def from_policy(cls, policy: Any) -> ScoringPolicy:
        """From arscore's ``Policy`` (a RulesPolicy with master scale and limits sections)."""
        return cls(
            rules=policy,
            master_scale=policy.master_scale,
            credit_limits=policy.credit_limits,
            version=getattr(policy, "version", "unversioned"),
        )


@dataclass(frozen=True)
class CustomerScore:
    """Everything known about one customer's credit risk at ``as_of``."""

    customer_id: str
    as_of: dt.date
    default_probability: float | None
    late_payment_probability: float | None
    expected_days_late: float | None
    risk_grade: int | None
    score: float | None
    recommended_credit_limit: dict[str, Any] | None
    current_credit_limit: float | None
    reasons: list[dict[str, Any]]
    aging: dict[str, Any]
    overdue_risk: dict[str, str]
    early_warnings: list[dict[str, Any]]
    recommended_action: str
    model_versions: dict[str, str]
    unavailable: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (dates as ISO text, no NaN)."""
        return _json_ready(
            {
                "customer_id": self.customer_id,
                "as_of": self.as_of.isoformat(),
                "default_probability": self.default_probability,
                "late_payment_probability": self.late_payment_probability,
                "expected_days_late": self.expected_days_late,
                "risk_grade": self.risk_grade,
                "score": self.score,
                "recommended_credit_limit": self.recommended_credit_limit,
                "current_credit_limit": self.current_credit_limit,
                "reasons": self.reasons,
                "aging": self.aging,
                "overdue_risk": self.overdue_risk,
                "early_warnings": self.early_warnings,
                "recommended_action": self.recommended_action,
                "model_versions": self.model_versions,
                "unavailable": self.unavailable,
            }
        )


def _json_ready(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value


def _optional(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def next_invoice_frame(features: pd.DataFrame, as_of_day: int) -> pd.DataFrame:
    """A typical next invoice per customer, issued at ``as_of`` on the customer's standard
    terms for its usual amount: what "the next invoice is paid late" is predicted on."""
    terms = features["payment_terms_days"].to_numpy(dtype=float)
    amount = features["invoice_amount_mean_12m"].to_numpy(dtype=float)
    month = from_day(as_of_day).month
    own = pd.DataFrame(
        {
            "invoice_amount": amount,
            "invoice_terms_days": terms,
            "invoice_relative_size": np.where(np.isfinite(amount), 1.0, np.nan),
            "invoice_month": float(month),
            "invoice_days_since_issue": 0.0,
            "invoice_days_to_due": terms,
            "invoice_open_share": 1.0,
            "invoice_disputed": 0.0,
        },
        index=features.index,
    )
    return pd.concat([own[list(INVOICE_FEATURES)], features], axis=1)


def _reason_dict(reason: Reason) -> dict[str, Any]:
    return {
        "feature": reason.feature,
        "value": reason.value,
        "contribution": round(reason.contribution, 6),
        "direction": reason.direction,
        "text": reason.text,
    }


def _financials(customers: pd.DataFrame) -> list[Financials | None]:
    columns = ("annual_revenue", "total_assets", "total_liabilities")
    values = [customers[c].to_numpy(dtype=float, na_value=np.nan) for c in columns]
    out: list[Financials | None] = []
    for revenue, assets, liabilities in zip(*values, strict=True):
        figures = [None if math.isnan(v) else max(float(v), 0.0) for v in (revenue, assets)]
        debt = None if math.isnan(liabilities) else max(float(liabilities), 0.0)
        if figures[0] is None and (figures[1] is None or debt is None):
            out.append(None)
        else:
            out.append(Financials(figures[0], figures[1], debt))
    return out


def _limit_dict(rec: LimitRecommendation, currency: str) -> dict[str, Any]:
    binding = next((r for r in rec.rules if r.rule == rec.binding_rule), None)
    basis = (
        f"grade {rec.grade} is cash in advance under the policy"
        if rec.cash_in_advance
        else f"{rec.binding_rule.replace('_', ' ')}: {binding.explanation if binding else ''}"
    )
    return {
        "amount": rec.amount,
        "currency": currency,
        "basis": basis,
        "binding_rule": rec.binding_rule,
        "rules": [
            {"rule": r.rule, "value": r.value, "explanation": r.explanation} for r in rec.rules
        ],
    }


def _action(strategy: str, rec: LimitRecommendation | None, current: float | None) -> str:
    """The policy's overdue-risk strategy, preceded by the limit step where the model asks for
    one (cash in advance, or a recommended limit below the approved one)."""
    if rec is not None and rec.cash_in_advance:
        return f"Require cash in advance (risk grade {rec.grade}). {strategy}"
    if rec is not None and current is not None and rec.amount < current:
        return f"Reduce the credit limit to {rec.amount:,.0f}. {strategy}"
    return strategy


def _aging_dict(aging: CustomerAging, row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "buckets": {label: float(row[label]) for label in aging.buckets},
        "total_open": float(row["open_ar"]),
        "total_overdue": float(row["overdue_ar"]),
        "max_days_overdue": _optional(row["max_days_overdue"]),
        "dso": _optional(row["dso"]),
        "overdue_ratio": _optional(row["overdue_ratio"]),
        "open_orders": float(row["open_orders"]),
        "exposure": float(row["exposure"]),
    }


def predict_and_explain(
    bundle: ModelBundle,
    X: pd.DataFrame,
    top_n: int,
    texts: Mapping[str, FeatureText] | None,
) -> tuple[np.ndarray, list[Explanation]]:
    """Calibrated PD and reasons from one TreeSHAP pass: the contributions sum to the raw
    score, so predicting separately would convert the features and walk the trees twice."""
    if bundle.calibrator is None:
        raise InvalidInputError(f"task {bundle.task!r} predicts a quantity, not a probability")
    contributions = bundle.contributions(X).to_numpy()
    # Column by column, not ``sum(axis=1)``: numpy's pairwise row sums can change in the last
    # bit with the number of rows, and one customer must score exactly as in the batch.
    raw = np.zeros(len(contributions))
    for j in range(contributions.shape[1]):
        raw += contributions[:, j]
    pd_values = bundle.calibrator.predict(raw)
    names = bundle.schema.names
    references = [c.reference for c in bundle.schema.columns]
    categorical = [c.kind == "categorical" for c in bundle.schema.columns]
    values = X[names].to_numpy(dtype=object)
    explanations = [
        explain_row(contributions[i], names, values[i], references, categorical, top_n, texts)
        for i in range(len(X))
    ]
    return np.asarray(pd_values, dtype="float64"), explanations


def prepare(ledger: Ledger, customer_ids: Sequence[str] | None) -> LedgerArrays:
    """The prepared (sub-)ledger of ``customer_ids`` (all customers when None)."""
    if customer_ids is not None:
        wanted = list(dict.fromkeys(customer_ids))
        known = set(ledger.customers["customer_id"])
        unknown = [c for c in wanted if c not in known]
        if unknown:
            raise UnknownCustomerError(unknown)
        if len(known) != len(wanted):  # the API's ledger already holds just this customer
            ledger = ledger.for_customers(wanted)
    return LedgerArrays.from_ledger(ledger)


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
    rules = policy.rules
    features = customer_features_at(arrays, t, rules.features)
    aging = customer_aging(arrays, from_day(t), rules, features=features)
    ids = [str(c) for c in features.index]
    n = len(ids)
    unavailable: dict[str, str] = {}

    pd_values: np.ndarray | None = None
    explanations = None
    if models.default_pd is not None:
        pd_values, explanations = predict_and_explain(
            models.default_pd, features[models.default_pd.schema.names], top_n, texts
        )
    else:
        reason = models.reason_missing(DEFAULT_PD)
        for name in ("default_probability", "risk_grade", "score", "reasons"):
            unavailable[name] = reason
        unavailable["recommended_credit_limit"] = f"needs a default probability: {reason}"

    late_values: np.ndarray | None = None
    days_values: np.ndarray | None = None
    if models.late_payment is not None or models.days_late is not None:
        next_invoice = next_invoice_frame(features, t)
        if models.late_payment is not None:
            late_values = models.late_payment.predict_pd(
                next_invoice[models.late_payment.schema.names]
            )
        if models.days_late is not None:
            days_values = models.days_late.predict(next_invoice[models.days_late.schema.names])
    if late_values is None:
        unavailable["late_payment_probability"] = models.reason_missing(LATE_PAYMENT)
    if days_values is None:
        unavailable["expected_days_late"] = models.reason_missing(DAYS_LATE)

    grades = scores = None
    if pd_values is not None:
        grades = grade_of(pd_values, policy.master_scale)
        scores = np.round(score_of(pd_values, policy.master_scale), 1)

    customers = aging.customers
    financials = _financials(arrays.customers)
    warnings: dict[str, list[dict[str, Any]]] = {}
    for w in aging.warnings.to_dict(orient="records"):
        warnings.setdefault(str(w["customer_id"]), []).append(
            {
                "code": w["code"],
                "message": w["message"],
                "value": _optional(w["value"]),
                "threshold": _optional(w["threshold"]),
            }
        )
    # Plain per-customer records: a pandas row lookup per customer would dominate rescoring.
    rows = customers.to_dict(orient="records")
    monthly = features["invoice_amount_12m"].to_numpy(dtype=float) / 12.0
    terms = features["payment_terms_days"].to_numpy(dtype=float)
    limits = arrays.cust_limit
    out: list[CustomerScore] = []
    for i in range(n):
        cid = ids[i]
        row = rows[i]
        current = _optional(limits[i])
        rec = None
        if pd_values is not None:
            rec = recommend_limit(
                pd=float(pd_values[i]),
                average_monthly_invoiced=float(np.nan_to_num(monthly[i])),
                payment_terms_days=int(terms[i]) if math.isfinite(terms[i]) else 0,
                financials=financials[i],
                policy=policy.credit_limits,
                scale=policy.master_scale,
            )
        reasons: list[dict[str, Any]] = []
        if explanations is not None:
            e = explanations[i]
            reasons = [_reason_dict(r) for r in (*e.raising, *e.lowering)]
            reasons.sort(key=lambda r: -abs(r["contribution"]))
        signals = warnings.get(cid, [])
        overdue = {"grade": str(row["risk_grade"]), "strategy": str(row["strategy"])}
        out.append(
            CustomerScore(
                customer_id=cid,
                as_of=as_of_date,
                default_probability=None if pd_values is None else float(pd_values[i]),
                late_payment_probability=None if late_values is None else float(late_values[i]),
                expected_days_late=None if days_values is None else float(days_values[i]),
                risk_grade=None if grades is None else int(grades[i]),
                score=None if scores is None else float(scores[i]),
                recommended_credit_limit=None if rec is None else _limit_dict(rec, currency),
                current_credit_limit=current,
                reasons=reasons,
                aging=_aging_dict(aging, row),
                overdue_risk=overdue,
                early_warnings=signals,
                recommended_action=_action(overdue["strategy"], rec, current),
                model_versions=dict(models.versions),
                unavailable=dict(unavailable),
            )
        )
    return out


def score_open_invoices(
    ledger: Ledger,
    as_of: AsOf,
    models: ScoringModels,
    policy: ScoringPolicy,
    *,
    customer_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The collector's view: every open invoice with days overdue, collection step, the
    probability it is paid late, expected days late and expected payment date.

    Late payment is predicted on the invoice as it stands at ``as_of`` (its age, days to due,
    share still open), with its customer's features at ``as_of``.
    """
    if customer_ids is not None:
        arrays = prepare(ledger, customer_ids)
        ledger = ledger.for_customers(list(dict.fromkeys(customer_ids)))
    else:
        arrays = LedgerArrays.from_ledger(ledger)
    t = to_day(as_of)
    aging = age_arrays(arrays, from_day(t), policy.rules)
    invoices = aging.invoices[aging.invoices["status"] == "open"]
    view = invoices[
        ["customer_id", "invoice_date", "due_date", "amount", "open_amount", "days_overdue"]
    ].copy()
    view["bucket"] = invoices["bucket"]
    view["collection_step"] = invoices["collection_step"]
    view["collection_action"] = invoices["collection_action"]
    view["late_payment_probability"] = np.nan
    view["expected_days_late"] = np.nan
    if len(view) and (models.late_payment is not None or models.days_late is not None):
        frame = build_invoice_features(
            ledger, from_day(t), invoice_ids=view.index, policy=policy.rules
        )
        if models.late_payment is not None:
            view["late_payment_probability"] = models.late_payment.predict_pd(
                frame[models.late_payment.schema.names]
            )
        if models.days_late is not None:
            view["expected_days_late"] = models.days_late.predict(
                frame[models.days_late.schema.names]
            )
    expected = pd.to_timedelta(view["expected_days_late"].clip(lower=0).round(), unit="D")
    view["expected_payment_date"] = view["due_date"] + expected
    return view


def check_as_of(as_of: AsOf | None, today: dt.date) -> dt.date:
    """The scoring date: ``as_of`` or today; a date in the future cannot be scored."""
    if as_of is None:
        return today
    if isinstance(as_of, dt.datetime | pd.Timestamp):
        day = as_of.date()
    elif isinstance(as_of, dt.date):
        day = as_of
    else:
        try:
            day = dt.date.fromisoformat(str(as_of))
        except ValueError as exc:
            raise InvalidInputError(f"as_of must be a date like 2026-06-30; got {as_of!r}") from exc
    if day.year < 1900:
        raise InvalidInputError(f"as_of {day} is before 1900; no ledger goes back that far")
    if day > today:
        raise InvalidInputError(f"as_of {day} is in the future; scores are as of today or before")
    return day


@dataclass(frozen=True)
class ApplicantScore:
    """An applicant's default probability, grade, score, reasons and recommended limit."""

    as_of: dt.date
    default_probability: float
    risk_grade: int
    score: float
    recommended_credit_limit: dict[str, Any]
    reasons: list[dict[str, Any]]
    recommended_action: str

    def to_dict(self) -> dict[str, Any]:
        return _json_ready(
            {
                "as_of": self.as_of.isoformat(),
                "default_probability": self.default_probability,
                "risk_grade": self.risk_grade,
                "score": self.score,
                "recommended_credit_limit": self.recommended_credit_limit,
                "reasons": self.reasons,
                "recommended_action": self.recommended_action,
            }
        )


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


def score_applicant(
    profile: Mapping[str, Any],
    as_of: AsOf,
    model: ModelBundle,
    policy: ScoringPolicy,
    *,
    top_n: int = 3,
    texts: Mapping[str, FeatureText] | None = None,
    currency: str = "EUR",
) -> ApplicantScore:
    """Score a would-be customer with the onboarding model from its profile alone.

    ``profile`` holds the customer-file columns an applicant provides (industry, country,
    payment_terms_days, financials, bureau score) and ``requested_limit``.
    """
    from models.limits import recommend_onboarding_limit

    day = from_day(to_day(as_of)).date()
    ledger = applicant_ledger(profile, day, currency)
    features = customer_features_at(LedgerArrays.from_ledger(ledger), day, policy.rules.features)
    X = features[model.schema.names]
    pd_value = float(model.predict_pd(X)[0])
    grade = int(grade_of([pd_value], policy.master_scale)[0])
    score = float(np.round(score_of([pd_value], policy.master_scale), 1)[0])
    explanation = model.explain(X, top_n=top_n, texts=texts)[0]
    reasons = [_reason_dict(r) for r in (*explanation.raising, *explanation.lowering)]
    reasons.sort(key=lambda r: -abs(r["contribution"]))
    financials = _financials(ledger.customers)[0]
    rec = recommend_onboarding_limit(
        pd=pd_value,
        requested_amount=float(profile["requested_limit"]),
        financials=financials,
        policy=policy.credit_limits,
        scale=policy.master_scale,
    )
    if rec.cash_in_advance:
        action = f"Trade on cash in advance only (risk grade {grade})."
    elif rec.amount < float(profile["requested_limit"]):
        action = f"Open the account with a limit of {rec.amount:,.0f}, below the request."
    else:
        action = f"Open the account with the requested limit of {rec.amount:,.0f}."
    return ApplicantScore(
        as_of=day,
        default_probability=pd_value,
        risk_grade=grade,
        score=score,
        recommended_credit_limit=_limit_dict(rec, currency),
        reasons=reasons,
        recommended_action=action,
    )
