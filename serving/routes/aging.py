"""Aging of one customer or the portfolio, and the collector's view of open invoices."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from features.aging import age_ledger
from ledger.storage import load_ledger
from models.jsonable import jsonable, records
from models.scoring.common import aging_figures
from models.scoring.invoices import score_open_invoices
from models.tasks import Task
from serving.auth import Caller
from serving.decide import customer_ledger, ledger_date
from serving.deps import (
    ANY_ROLE,
    OFFICERS,
    AsOfQuery,
    CustomerPath,
    StateDep,
    require,
    require_heavy,
)
from serving.responses.aging import CollectionView, CustomerAging, PortfolioAging
from serving.responses.common import AUTHENTICATED, errors

router = APIRouter(prefix="/v1", tags=["aging"])


@router.get("/customers/{customer_id}/aging", responses=errors(*AUTHENTICATED, 404, 422))
def customer_aging(
    customer_id: CustomerPath,
    state: StateDep,
    caller: Annotated[Caller, Depends(require(*ANY_ROLE))],
    as_of: AsOfQuery = None,
) -> CustomerAging:
    """Buckets, overdue figures, DSO and the open invoices of one customer."""
    date = ledger_date(state, as_of)
    day = date.day
    report = age_ledger(customer_ledger(state, customer_id), day, state.policy.rules)
    row = report.customers.iloc[0]
    return CustomerAging.model_validate(
        jsonable(
            {
                "customer_id": customer_id,
                "as_of": day.isoformat(),
                **date.fields(),
                **aging_figures(row, report.buckets),
                "credit_limit": float(row["credit_limit"]),
                "exposure": float(row["exposure"]),
                "overdue_risk": {"grade": str(row["risk_grade"]), "strategy": str(row["strategy"])},
                "invoices": records(report.invoices),
            }
        )
    )


@router.get("/portfolio/aging", responses=errors(*AUTHENTICATED, 422, 429))
def portfolio_aging(
    state: StateDep,
    caller: Annotated[Caller, Depends(require_heavy(*ANY_ROLE))],
    as_of: AsOfQuery = None,
) -> PortfolioAging:
    """The portfolio's buckets and totals (DSO, CEI, overdue ratio) and warning count,
    computed once per ledger version (serving/portfolio_cache.py)."""
    date = ledger_date(state, as_of)
    day = date.day

    def compute() -> dict[str, Any]:
        report = age_ledger(load_ledger(state.engine), day, state.policy.rules)
        return jsonable({"buckets": records(report.portfolio), "summary": report.summary})

    figures = state.portfolio_cache.get(day, compute)
    return PortfolioAging.model_validate({"as_of": day.isoformat(), **date.fields(), **figures})


@router.get("/customers/{customer_id}/invoices", responses=errors(*AUTHENTICATED, 403, 404, 422))
def customer_invoices(
    customer_id: CustomerPath,
    state: StateDep,
    caller: Annotated[Caller, Depends(require(*OFFICERS))],
    as_of: AsOfQuery = None,
) -> CollectionView:
    """The collector's view: open invoices with days overdue, collection step and the
    late-payment probability of each."""
    date = ledger_date(state, as_of)
    day = date.day
    ledger = customer_ledger(state, customer_id)
    models = state.store.current.scoring()
    view = score_open_invoices(ledger, day, models, state.policy)
    unavailable = {
        k: v for k, v in models.unavailable.items() if k in (Task.LATE_PAYMENT, Task.DAYS_LATE)
    }
    if models.days_late is None:
        unavailable[Task.DAYS_LATE] = models.reason_missing(Task.DAYS_LATE)
    return CollectionView.model_validate(
        {
            "customer_id": customer_id,
            "as_of": day.isoformat(),
            **date.fields(),
            "invoices": records(view),
            "model_versions": dict(models.versions),
            "unavailable": unavailable,
        }
    )
