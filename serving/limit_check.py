"""The limit check sales runs before taking an order: rules only, no model call.

Exposure is open receivables plus open orders as of today; the decision is ``decline`` for a
customer on stop (overdue risk critical), ``refer`` when the order would breach the limit, the
customer has no approved limit or an invoice is long overdue, else ``approve``.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from features.aging import age_arrays
from features.ledger_arrays import LedgerArrays
from features.policy import RulesPolicy
from ledger.frames import Ledger


def check_limit(
    ledger: Ledger,
    customer_id: str,
    amount: float,
    today: dt.date,
    policy: RulesPolicy,
    refer_days_overdue: int,
) -> dict[str, Any]:
    """The decision on an order of ``amount`` for one customer (``ledger`` holds it)."""
    report = age_arrays(LedgerArrays.from_ledger(ledger), today, policy)
    row = report.customers.loc[customer_id]
    limit = None if not math.isfinite(float(row["credit_limit"])) else float(row["credit_limit"])
    exposure = round(float(row["exposure"]), 2)  # money to the cent, not float noise
    available = None if limit is None else round(limit - exposure, 2)
    after = None if available is None else round(available - amount, 2)
    invoices = report.invoices
    long_overdue = invoices[
        (invoices["status"] == "open") & (invoices["days_overdue"] > refer_days_overdue)
    ]
    reasons: list[dict[str, str]] = []
    decision = "approve"
    if row["risk_grade"] == "critical":
        decision = "decline"
        reasons.append(
            {
                "code": "customer_on_stop",
                "text": "the customer is on stop (overdue risk critical): " + str(row["strategy"]),
            }
        )
    if limit is None:
        reasons.append({"code": "no_credit_limit", "text": "the customer has no approved limit"})
    elif after is not None and after < 0:
        reasons.append(
            {
                "code": "over_limit",
                "text": f"the order takes exposure to {exposure + amount:,.2f}, "
                f"{-after:,.2f} over the limit of {limit:,.2f}",
            }
        )
    if len(long_overdue):
        reasons.append(
            {
                "code": "invoices_overdue",
                "text": f"{len(long_overdue)} invoice(s) more than {refer_days_overdue} days "
                f"overdue, {long_overdue['open_amount'].sum():,.2f} open",
            }
        )
    if decision == "approve" and reasons:
        decision = "refer"
    if not reasons:
        reasons.append({"code": "within_limit", "text": "the order fits within the credit limit"})
    return {
        "customer_id": customer_id,
        "amount": amount,
        "decision": decision,
        "credit_limit": limit,
        "exposure": exposure,
        "available_credit": available,
        "available_after": after,
        "reasons": reasons,
        "as_of": today.isoformat(),
    }
