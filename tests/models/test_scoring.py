"""The one scoring function: same numbers for one customer or all, point-in-time, and
rule-based fields still filled when a model is missing."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from arscore.policy import Policy
from features.customer import build_customer_features
from ledger.frames import Ledger
from ledger.synth import SynthConfig, generate
from models.master_scale import score_of
from models.scoring.applicants import score_applicant
from models.scoring.common import ScoringModels, ScoringPolicy, UnknownCustomerError
from models.scoring.customers import score_customers
from models.scoring.invoices import score_open_invoices
from models.tasks import PdBasis
from training.pipeline import train_ledger_models

AS_OF = pd.Timestamp("2026-06-30")


@pytest.fixture(scope="module")
def book(applicant_ledger: Ledger) -> tuple[Ledger, ScoringModels, ScoringPolicy]:
    ledger = generate(SynthConfig(customers=900, months=36, seed=5)).ledger
    policy = Policy.model_validate(
        {"training": {"min_positives": 5, "lightgbm": {"max_boost_rounds": 40}}}
    )
    outcomes = train_ledger_models(
        ledger,
        rules=policy,
        training=policy.training,
        scale=policy.master_scale,
        tracking_uri=None,
        tasks=("default_pd", "late_payment", "days_late"),
    )
    outcomes += train_ledger_models(
        applicant_ledger,
        rules=policy,
        training=policy.training,
        scale=policy.master_scale,
        tracking_uri=None,
        tasks=("onboarding_pd",),
    )
    bundles = {o.task: o.fit.bundle for o in outcomes if o.fit is not None}
    models = ScoringModels(
        default_pd=bundles["default_pd"],
        late_payment=bundles["late_payment"],
        days_late=bundles["days_late"],
        versions={"arscore-default-pd": "1", "arscore-late-payment": "1", "arscore-days-late": "1"},
        unavailable={},
    )
    scoring = ScoringPolicy.from_policy(policy)
    return ledger, models, scoring, bundles.get("onboarding_pd")


def test_one_customer_scores_as_in_the_batch(book) -> None:
    ledger, models, policy, _ = book
    batch = {s.customer_id: s.to_dict() for s in score_customers(ledger, AS_OF, models, policy)}
    sample = sorted(batch)[::97]
    for customer_id in sample:
        alone = score_customers(ledger, AS_OF, models, policy, customer_ids=[customer_id])
        assert alone[0].to_dict() == batch[customer_id]


def test_score_fills_every_field_with_a_model(book) -> None:
    ledger, models, policy, _ = book
    result = score_customers(ledger, AS_OF, models, policy)[3]
    assert 0 < result.default_probability < 1
    assert 0 < result.late_payment_probability < 1
    assert 1 <= result.risk_grade <= policy.master_scale.n_grades
    assert result.recommended_credit_limit["amount"] >= 0
    assert result.recommended_credit_limit["basis"]
    assert result.reasons
    assert all(r["text"] for r in result.reasons)
    assert math.isfinite(result.expected_days_late)
    assert result.unavailable == {}
    assert result.pd_basis == PdBasis.MODEL
    assert set(result.aging["buckets"]) == set(policy.rules.aging.labels)


def test_payment_after_as_of_changes_no_score(book) -> None:
    ledger, models, policy, _ = book
    customer_id = ledger.invoices["customer_id"].iloc[0]
    before = score_customers(ledger, AS_OF, models, policy, customer_ids=[customer_id])[0]
    late_payment = pd.DataFrame(
        {
            "payment_id": ["P-LATER"],
            "invoice_id": [ledger.invoices["invoice_id"].iloc[0]],
            "payment_date": [AS_OF + pd.Timedelta(days=3)],
            "amount": [1.0],
        }
    )
    payments = pd.concat([ledger.payments, late_payment.astype(ledger.payments.dtypes)])
    changed = Ledger(ledger.customers, ledger.invoices, payments, ledger.orders)
    after = score_customers(changed, AS_OF, models, policy, customer_ids=[customer_id])[0]
    assert after.to_dict() == before.to_dict()


def test_missing_default_model_scores_with_the_expert_scorecard(book) -> None:
    # Changed on purpose (issue #10): without a default-PD model the policy's expert scorecard
    # gives the PD, grade, score, reasons and limit; they used to be None and "unavailable".
    ledger, models, policy, _ = book
    reason = "no model is registered as arscore-default-pd@champion"
    partial = ScoringModels(late_payment=models.late_payment, unavailable={"default_pd": reason})
    results = score_customers(ledger, AS_OF, partial, policy)
    result = results[0]
    assert result.pd_basis == PdBasis.EXPERT_SCORECARD
    assert result.to_dict()["pd_basis"] == "expert_scorecard"
    assert 0 < result.default_probability < 1
    assert 1 <= result.risk_grade <= policy.master_scale.n_grades
    assert result.score == pytest.approx(
        float(score_of([result.default_probability], policy.master_scale)[0]), abs=0.05
    )
    assert result.recommended_credit_limit["amount"] >= 0
    assert result.recommended_credit_limit["basis"]
    assert set(result.unavailable) == {"expected_days_late"}  # no days-late model given
    assert result.late_payment_probability is not None
    assert result.overdue_risk["grade"] in {"low", "medium", "high", "critical"}
    assert result.recommended_action
    assert all(r.pd_basis == PdBasis.EXPERT_SCORECARD for r in results)
    assert sum(bool(r.reasons) for r in results) > 0.9 * len(results)
    factors = policy.expert_scorecard.factors
    assert all(r["text"] and r["feature"] in factors for r in result.reasons)


def test_no_model_at_all_still_fills_every_pd_field(book) -> None:
    ledger, _, policy, _ = book
    nothing = ScoringModels()
    for result in score_customers(ledger, AS_OF, nothing, policy)[::50]:
        assert result.pd_basis == "expert_scorecard"
        for name in ("default_probability", "risk_grade", "score", "recommended_credit_limit"):
            assert getattr(result, name) is not None, name
        assert set(result.unavailable) == {"late_payment_probability", "expected_days_late"}


def test_unknown_customer_is_named(book) -> None:
    ledger, models, policy, _ = book
    with pytest.raises(UnknownCustomerError, match="NOPE"):
        score_customers(ledger, AS_OF, models, policy, customer_ids=["NOPE"])


def test_open_invoices_carry_late_payment_probability(book) -> None:
    ledger, models, policy, _ = book
    customer_id = ledger.invoices["customer_id"].iloc[-1]
    view = score_open_invoices(ledger, AS_OF, models, policy, customer_ids=[customer_id])
    assert (view["customer_id"] == customer_id).all()
    assert view["late_payment_probability"].between(0, 1).all()
    assert view["expected_days_late"].notna().all()
    expected_delay = (view["expected_payment_date"] - view["due_date"]).dt.days
    assert (expected_delay == view["expected_days_late"].clip(lower=0).round()).all()


def test_missing_days_late_model_is_named_and_leaves_the_rest(book) -> None:
    ledger, models, policy, _ = book
    reason = "no model is registered as arscore-days-late@champion"
    partial = ScoringModels(
        default_pd=models.default_pd,
        late_payment=models.late_payment,
        unavailable={"days_late": reason},
    )
    result = score_customers(ledger, AS_OF, partial, policy)[0]
    assert result.expected_days_late is None
    assert result.unavailable == {"expected_days_late": reason}
    assert result.late_payment_probability is not None
    customer_id = ledger.invoices["customer_id"].iloc[-1]
    view = score_open_invoices(ledger, AS_OF, partial, policy, customer_ids=[customer_id])
    assert view["expected_payment_date"].isna().all()


def test_applicant_limit_never_exceeds_the_request(book) -> None:
    _, _, policy, onboarding = book
    assert onboarding is not None, "the applicant book trains an onboarding model"
    profile = {
        "industry": "retail",
        "country": "DE",
        "payment_terms_days": 30,
        "requested_limit": 25_000.0,
        "annual_revenue": 2_000_000.0,
        "bureau_score": 610.0,
    }
    result = score_applicant(profile, AS_OF, onboarding, policy)
    assert result.pd_basis == PdBasis.MODEL
    assert 0 < result.default_probability < 1
    assert result.recommended_credit_limit["amount"] <= 25_000
    assert not math.isnan(result.score)


def test_one_shap_pass_gives_the_bundles_pd_and_reasons(book) -> None:
    ledger, models, policy, _ = book
    X = build_customer_features(ledger, AS_OF, policy.rules)[models.default_pd.schema.names]
    pd_values, explanations = models.default_pd.predict_and_explain(X, 3, None)
    assert pd_values == pytest.approx(models.default_pd.predict_pd(X), rel=1e-9, abs=1e-12)
    assert explanations == models.default_pd.explain(X, top_n=3)


def test_scoring_policy_records_the_version_it_is_given() -> None:
    policy = Policy.model_validate({"version": "tight-2026"})
    assert ScoringPolicy.from_policy(policy).version == "tight-2026"
    pinned = ScoringPolicy.from_policy(policy, version="tight-2026 (0123456789ab)")
    assert pinned.version == "tight-2026 (0123456789ab)"
    assert pinned.rules is policy
    assert pinned.master_scale is policy.master_scale
    assert pinned.expert_scorecard is policy.expert_scorecard
