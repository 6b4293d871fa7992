"""Credit-limit recommendation: the lowest rule binds, and the basis says which."""

from __future__ import annotations

import pytest

from models.errors import InvalidInputError
from models.limits import Financials, recommend_limit, recommend_onboarding_limit
from models.policy import CreditLimitPolicy, MasterScalePolicy

SCALE = MasterScalePolicy()
POLICY = CreditLimitPolicy(
    grace_days=15,
    lgd=0.5,
    loss_appetite=5_000.0,
    net_worth_share=0.10,
    revenue_share=0.10,
    cash_in_advance_grades=(10,),
    rounding_step=1_000.0,
)
# PD 1% is grade 5 (0.8%–1.5%), multiplier 1.1 in the default policy.
PD_GRADE_5 = 0.01


def test_trade_need_binds_for_a_small_good_customer() -> None:
    rec = recommend_limit(
        pd=PD_GRADE_5,
        average_monthly_invoiced=20_000.0,
        payment_terms_days=30,
        financials=Financials(annual_revenue=5_000_000.0, total_assets=2e6, total_liabilities=1e6),
        policy=POLICY,
        scale=SCALE,
    )
    # 20,000 × (30 + 15) / 30 × 1.1 = 33,000
    assert rec.grade == 5
    assert rec.rule("trade_need").value == pytest.approx(33_000.0)
    assert rec.binding_rule == "trade_need"
    assert rec.amount == 33_000.0


def test_expected_loss_cap_binds_for_a_risky_customer() -> None:
    rec = recommend_limit(
        pd=0.10,  # grade 8, multiplier 0.6
        average_monthly_invoiced=500_000.0,
        payment_terms_days=60,
        financials=None,
        policy=POLICY,
        scale=SCALE,
    )
    # 5,000 / (0.10 × 0.5) = 100,000 < trade need 500,000 × 75 / 30 × 0.6 = 750,000
    assert rec.rule("expected_loss").value == pytest.approx(100_000.0)
    assert rec.binding_rule == "expected_loss"
    assert rec.amount == 100_000.0
    # PD × LGD × limit never exceeds the loss appetite.
    assert rec.pd * POLICY.lgd * rec.amount <= POLICY.loss_appetite


def test_capacity_cap_binds_on_thin_net_worth() -> None:
    rec = recommend_limit(
        pd=PD_GRADE_5,
        average_monthly_invoiced=100_000.0,
        payment_terms_days=30,
        financials=Financials(annual_revenue=10e6, total_assets=1.2e6, total_liabilities=1.0e6),
        policy=POLICY,
        scale=SCALE,
    )
    # 10% of net worth 200,000 = 20,000 < 10% of revenue 1,000,000
    assert rec.rule("capacity").value == pytest.approx(20_000.0)
    assert "net worth" in rec.rule("capacity").explanation
    assert rec.binding_rule == "capacity"
    assert rec.amount == 20_000.0


def test_negative_net_worth_gives_no_capacity() -> None:
    rec = recommend_limit(
        pd=PD_GRADE_5,
        average_monthly_invoiced=10_000.0,
        payment_terms_days=30,
        financials=Financials(total_assets=1e6, total_liabilities=1.5e6),
        policy=POLICY,
        scale=SCALE,
    )
    assert rec.rule("capacity").value == 0.0
    assert rec.amount == 0.0


def test_capacity_does_not_apply_without_financials() -> None:
    rec = recommend_limit(
        pd=PD_GRADE_5,
        average_monthly_invoiced=10_000.0,
        payment_terms_days=30,
        financials=Financials(),
        policy=POLICY,
        scale=SCALE,
    )
    assert rec.rule("capacity").value is None
    assert rec.binding_rule == "trade_need"


def test_worst_grade_is_cash_in_advance() -> None:
    rec = recommend_limit(
        pd=0.4,
        average_monthly_invoiced=10_000.0,
        payment_terms_days=30,
        financials=None,
        policy=POLICY,
        scale=SCALE,
    )
    assert rec.grade == 10
    assert rec.cash_in_advance
    assert rec.amount == 0.0
    # The basis is still shown.
    assert rec.rule("expected_loss").value == pytest.approx(25_000.0)


def test_amount_is_rounded_down_to_the_step() -> None:
    rec = recommend_limit(
        pd=PD_GRADE_5,
        average_monthly_invoiced=20_900.0,  # trade need 34,485
        payment_terms_days=30,
        financials=None,
        policy=POLICY,
        scale=SCALE,
    )
    assert rec.rule("trade_need").value == pytest.approx(34_485.0)
    assert rec.amount == 34_000.0


def test_onboarding_never_exceeds_the_request_for_a_good_grade() -> None:
    rec = recommend_onboarding_limit(
        pd=0.0005,  # grade 1, multiplier 1.5: not applied above the request
        requested_amount=50_000.0,
        financials=None,
        policy=POLICY,
        scale=SCALE,
    )
    assert rec.binding_rule == "requested_amount"
    assert rec.amount == 50_000.0


def test_onboarding_request_is_cut_for_a_weak_grade_and_capped_by_capacity() -> None:
    weak = recommend_onboarding_limit(
        pd=0.05,  # grade 7, multiplier 0.8
        requested_amount=50_000.0,
        financials=None,
        policy=POLICY,
        scale=SCALE,
    )
    assert weak.rule("requested_amount").value == pytest.approx(40_000.0)
    capped = recommend_onboarding_limit(
        pd=0.0005,
        requested_amount=50_000.0,
        financials=Financials(annual_revenue=150_000.0),
        policy=POLICY,
        scale=SCALE,
    )
    assert capped.binding_rule == "capacity"
    assert capped.amount == 15_000.0


def test_policy_and_scale_must_agree_on_grades() -> None:
    short = CreditLimitPolicy(grade_multipliers=(1.0, 0.5, 0.0), cash_in_advance_grades=(3,))
    with pytest.raises(ValueError, match="3 entries but the master scale has 10 grades"):
        recommend_limit(
            pd=0.01,
            average_monthly_invoiced=1.0,
            payment_terms_days=30,
            financials=None,
            policy=short,
            scale=SCALE,
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pd": 1.2}, "pd must lie between 0 and 1"),
        ({"average_monthly_invoiced": -5.0}, "average_monthly_invoiced must be a number >= 0"),
        ({"payment_terms_days": -1}, "payment_terms_days must be >= 0"),
    ],
)
def test_bad_inputs_are_named(kwargs: dict[str, float], message: str) -> None:
    args: dict[str, object] = {
        "pd": 0.01,
        "average_monthly_invoiced": 1000.0,
        "payment_terms_days": 30,
        "financials": None,
        "policy": POLICY,
        "scale": SCALE,
    }
    args.update(kwargs)
    with pytest.raises(InvalidInputError, match=message):
        recommend_limit(**args)  # type: ignore[arg-type]
