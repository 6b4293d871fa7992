"""Credit-limit recommendation: the lowest of three policy rules, with the basis shown.

For an existing customer:

(a) trade need: average monthly invoiced amount × (terms + grace days) / 30 × the grade's
    multiplier — the exposure the customer's normal trading creates, with headroom for good
    grades and less for weak ones;
(b) expected-loss cap: PD × LGD × limit may not exceed the per-customer loss appetite, so
    limit ≤ appetite / (PD × LGD);
(c) capacity cap from the customer's financials where present: a share of net worth (assets −
    liabilities, zero when negative) and a share of annual revenue, the lower of those known.

The recommendation is the lowest applicable value, rounded down to the policy step; grades set
to "cash in advance" get zero. For onboarding the trade need is the requested amount (never
more, less for grades whose multiplier is below 1). The result names the binding rule and every
rule's value, so a credit controller can see why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from models.errors import InvalidInputError
from models.master_scale import grade_of
from models.policy import CreditLimitPolicy, MasterScalePolicy

RuleName = Literal["trade_need", "requested_amount", "expected_loss", "capacity"]
Binding = Literal["trade_need", "requested_amount", "expected_loss", "capacity", "cash_in_advance"]


@dataclass(frozen=True)
class Financials:
    """The customer's financial statement figures, where known (currency of the ledger)."""

    annual_revenue: float | None = None
    total_assets: float | None = None
    total_liabilities: float | None = None

    @property
    def net_worth(self) -> float | None:
        if self.total_assets is None or self.total_liabilities is None:
            return None
        return self.total_assets - self.total_liabilities


@dataclass(frozen=True)
class RuleValue:
    """One rule's limit; ``value`` is None when the rule does not apply (no data)."""

    rule: RuleName
    value: float | None
    explanation: str


@dataclass(frozen=True)
class LimitRecommendation:
    """A recommended limit, its grade and why."""

    amount: float
    pd: float
    grade: int
    binding_rule: Binding
    rules: tuple[RuleValue, ...]

    @property
    def cash_in_advance(self) -> bool:
        return self.binding_rule == "cash_in_advance"

    def rule(self, name: RuleName) -> RuleValue:
        for r in self.rules:
            if r.rule == name:
                return r
        raise KeyError(name)


def _check_amount(name: str, value: float | None, *, allow_none: bool = True) -> None:
    if value is None:
        if not allow_none:
            raise InvalidInputError(f"{name} is required")
        return
    if not math.isfinite(value) or value < 0:
        raise InvalidInputError(f"{name} must be a number >= 0; got {value!r}")


def _check_pd(pd_value: float) -> None:
    if not (math.isfinite(pd_value) and 0.0 <= pd_value <= 1.0):
        raise InvalidInputError(f"pd must lie between 0 and 1; got {pd_value!r}")


def _expected_loss_rule(pd_value: float, policy: CreditLimitPolicy) -> RuleValue:
    if pd_value == 0.0:
        return RuleValue("expected_loss", None, "PD is zero: no expected loss to cap")
    value = policy.loss_appetite / (pd_value * policy.lgd)
    return RuleValue(
        "expected_loss",
        value,
        f"loss appetite {policy.loss_appetite:,.0f} / (PD {pd_value:.2%} × LGD {policy.lgd:.0%})",
    )


def _capacity_rule(financials: Financials | None, policy: CreditLimitPolicy) -> RuleValue:
    if financials is None:
        return RuleValue("capacity", None, "no financial statements")
    _check_amount("annual_revenue", financials.annual_revenue)
    _check_amount("total_assets", financials.total_assets)
    _check_amount("total_liabilities", financials.total_liabilities)
    caps: list[tuple[float, str]] = []
    net_worth = financials.net_worth
    if policy.net_worth_share is not None and net_worth is not None:
        cap = max(net_worth, 0.0) * policy.net_worth_share
        caps.append((cap, f"{policy.net_worth_share:.0%} of net worth {net_worth:,.0f}"))
    if policy.revenue_share is not None and financials.annual_revenue is not None:
        cap = financials.annual_revenue * policy.revenue_share
        caps.append(
            (cap, f"{policy.revenue_share:.0%} of annual revenue {financials.annual_revenue:,.0f}")
        )
    if not caps:
        return RuleValue("capacity", None, "no net worth or revenue figures")
    value, explanation = min(caps, key=lambda c: c[0])
    return RuleValue("capacity", value, explanation)


def _decide(
    pd_value: float,
    grade: int,
    rules: tuple[RuleValue, ...],
    policy: CreditLimitPolicy,
) -> LimitRecommendation:
    if grade in policy.cash_in_advance_grades:
        return LimitRecommendation(0.0, pd_value, grade, "cash_in_advance", rules)
    # The trade need (or requested amount) always applies, so some rule has a value.
    lowest = min(rules, key=lambda r: math.inf if r.value is None else r.value)
    value = lowest.value if lowest.value is not None else 0.0
    amount = math.floor(value / policy.rounding_step) * policy.rounding_step
    return LimitRecommendation(float(amount), pd_value, grade, lowest.rule, rules)


def _grade(pd_value: float, policy: CreditLimitPolicy, scale: MasterScalePolicy) -> int:
    _check_pd(pd_value)
    policy.check_matches(scale)
    return int(grade_of([pd_value], scale)[0])


def recommend_limit(
    *,
    pd: float,
    average_monthly_invoiced: float,
    payment_terms_days: int,
    financials: Financials | None,
    policy: CreditLimitPolicy,
    scale: MasterScalePolicy,
) -> LimitRecommendation:
    """Credit limit of an existing customer from its PD and trading history."""
    grade = _grade(pd, policy, scale)
    _check_amount("average_monthly_invoiced", average_monthly_invoiced, allow_none=False)
    if payment_terms_days < 0:
        raise InvalidInputError(f"payment_terms_days must be >= 0; got {payment_terms_days}")
    multiplier = policy.grade_multipliers[grade - 1]
    days = payment_terms_days + policy.grace_days
    trade_need = RuleValue(
        "trade_need",
        average_monthly_invoiced * days / 30.0 * multiplier,
        f"monthly invoicing {average_monthly_invoiced:,.0f} × ({payment_terms_days} terms + "
        f"{policy.grace_days} grace days) / 30 × grade {grade} multiplier {multiplier:g}",
    )
    rules = (trade_need, _expected_loss_rule(pd, policy), _capacity_rule(financials, policy))
    return _decide(pd, grade, rules, policy)


def recommend_onboarding_limit(
    *,
    pd: float,
    requested_amount: float,
    financials: Financials | None,
    policy: CreditLimitPolicy,
    scale: MasterScalePolicy,
) -> LimitRecommendation:
    """Credit limit of a new customer: the requested amount, capped like any other limit."""
    grade = _grade(pd, policy, scale)
    _check_amount("requested_amount", requested_amount, allow_none=False)
    multiplier = min(policy.grade_multipliers[grade - 1], 1.0)
    requested = RuleValue(
        "requested_amount",
        requested_amount * multiplier,
        f"requested {requested_amount:,.0f}"
        + (f" × grade {grade} multiplier {multiplier:g}" if multiplier < 1.0 else ""),
    )
    rules = (requested, _expected_loss_rule(pd, policy), _capacity_rule(financials, policy))
    return _decide(pd, grade, rules, policy)
