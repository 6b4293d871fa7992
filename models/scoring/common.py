"""What every kind of score shares: the models and policy in use, the scoring date, the
customer sub-ledger, and the shaping of limits, reasons and financials into plain records.

Customers, open invoices and applicants are scored in their own modules; they all read these
so that a limit or a reason looks the same wherever it appears.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from features.customer import AsOf
from features.ledger_arrays import LedgerArrays
from features.policy import RulesPolicy
from ledger.frames import Ledger
from models.bundle import ModelBundle
from models.errors import InvalidInputError
from models.limits import Financials, LimitRecommendation
from models.policy import CreditLimitPolicy, ExpertScorecardPolicy, MasterScalePolicy
from models.reasons import Explanation


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
    version (recorded with every decision) and ``unavailable`` says why a task has no model.
    The PD comes from ``default_pd``, else ``proxy_pd``, else the policy's expert scorecard."""

    default_pd: ModelBundle | None = None
    late_payment: ModelBundle | None = None
    days_late: ModelBundle | None = None
    proxy_pd: ModelBundle | None = None
    versions: Mapping[str, str] = field(default_factory=dict)
    unavailable: Mapping[str, str] = field(default_factory=dict)

    def reason_missing(self, task: str) -> str:
        """Why ``task`` has no model: the recorded reason, or that none is loaded."""
        return self.unavailable.get(task, f"no {task} model is loaded")


class ComposedPolicy(Protocol):
    """What scoring reads of arscore's ``Policy`` beyond its rules (the composition root's
    policy; this layer cannot import it)."""

    @property
    def master_scale(self) -> MasterScalePolicy: ...

    @property
    def credit_limits(self) -> CreditLimitPolicy: ...

    @property
    def expert_scorecard(self) -> ExpertScorecardPolicy: ...


@dataclass(frozen=True)
class ScoringPolicy:
    """The parts of the credit policy scoring reads, built once by the composition root with
    :meth:`from_policy`; ``version`` is the policy version recorded with every decision."""

    rules: RulesPolicy
    master_scale: MasterScalePolicy
    credit_limits: CreditLimitPolicy
    expert_scorecard: ExpertScorecardPolicy = field(default_factory=ExpertScorecardPolicy)
    version: str = "unversioned"

    @classmethod
    def from_policy(cls, policy: ComposedPolicy, *, version: str | None = None) -> ScoringPolicy:
        """From arscore's ``Policy`` (a RulesPolicy with master scale, limits and expert
        scorecard sections).

        ``version`` defaults to the policy's own; the service passes its version with the
        policy's fingerprint, so a decision names exactly the rules it was made under.
        """
        if not isinstance(policy, RulesPolicy):
            raise TypeError(f"policy must be a RulesPolicy; got {type(policy).__name__}")
        return cls(
            rules=policy,
            master_scale=policy.master_scale,
            credit_limits=policy.credit_limits,
            expert_scorecard=policy.expert_scorecard,
            version=getattr(policy, "version", "unversioned") if version is None else version,
        )


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


def optional_number(value: Any) -> float | None:
    """A figure as a float, or None when it is missing or not finite."""
    if value is None or value is pd.NA:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def reason_dicts(explanation: Explanation) -> list[dict[str, Any]]:
    """The reasons both ways as records, strongest first (by rounded contribution)."""
    ordered = sorted(
        (*explanation.raising, *explanation.lowering),
        key=lambda r: -abs(round(r.contribution, 6)),
    )
    return [
        {
            "feature": r.feature,
            "value": r.value,
            "contribution": round(r.contribution, 6),
            "direction": r.direction,
            "text": r.text,
        }
        for r in ordered
    ]


def financials_of(customers: pd.DataFrame) -> list[Financials | None]:
    """Each customer's financials for the capacity caps, None where too few are reported."""
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


def limit_dict(rec: LimitRecommendation, currency: str) -> dict[str, Any]:
    """A limit recommendation as a record: amount, the rule that binds and why, every rule."""
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


def aging_figures(
    row: Mapping[Hashable, Any] | pd.Series, buckets: Sequence[str]
) -> dict[str, Any]:
    """A customer's aging as a score and the aging endpoint both show it: amount per bucket,
    open and overdue totals, unapplied credit, oldest days overdue, DSO and overdue ratio (None
    when undefined).
    ``row`` is the customer's row of an aging report."""
    return {
        "buckets": {label: float(row[label]) for label in buckets},
        "total_open": float(row["open_ar"]),
        "unapplied_credit": float(row["unapplied_credit"]),  # credit notes not netted yet
        "total_overdue": float(row["overdue_ar"]),
        "max_days_overdue": optional_number(row["max_days_overdue"]),
        "dso": optional_number(row["dso"]),
        "overdue_ratio": optional_number(row["overdue_ratio"]),
    }
