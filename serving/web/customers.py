"""Customers list and customer page (officers), and the set-limit form.

The customer page calls the API's own functions: the score of ``POST /v1/scores`` (audited
as a decision with the user's name), the open invoices as ``GET /v1/customers/{id}/invoices``
scores them (``score_open_invoices``) and ``PUT /v1/customers/{id}/credit-limit``."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from ledger import tables
from models.jsonable import records
from models.scoring.invoices import score_open_invoices
from serving.decide import customer_ledger, ledger_date
from serving.deps import CustomerPath
from serving.errors import NotFound, ServiceError
from serving.routes.limits import set_credit_limit
from serving.routes.rescore import portfolio_scores
from serving.routes.scores import _score
from serving.schemas import CreditLimitRequest, ScoreRequest
from serving.web import charts
from serving.web.book import book_aging, forget, warnings_by_customer
from serving.web.guard import OFFICERS, Viewer, check_csrf, signed_in
from serving.web.history import days_late_by_month
from serving.web.render import money, number, page

router = APIRouter(prefix="/app", include_in_schema=False)
Officer = Annotated[Viewer, Depends(signed_in(*OFFICERS))]
PAGE_SIZE = 50
SORTS = {
    "name": "name",
    "grade": "risk_grade",
    "pd": "default_probability",
    "exposure": "exposure",
    "overdue": "overdue_ar",
    "warnings": "warning_count",
}


def _latest_scores(request: Request, viewer: Viewer) -> tuple[pd.DataFrame, str | None]:
    state = request.app.state.arscore
    keep = ["customer_id", "default_probability", "risk_grade", "score", "pd_basis"]
    try:
        run = portfolio_scores(state, viewer.caller, None, None, False, 10_000).model_dump()
    except NotFound:
        return pd.DataFrame(columns=keep), None
    frame = pd.DataFrame(run["scores"])
    return frame[keep] if len(frame) else pd.DataFrame(columns=keep), run["as_of"]


@router.get("/customers", response_class=HTMLResponse)
def customers_list(
    request: Request,
    viewer: Officer,
    q: Annotated[str, Query(max_length=100)] = "",
    grade: Annotated[str, Query(max_length=3)] = "",
    overdue_risk: Annotated[str, Query(max_length=20)] = "",
    warnings_only: bool = False,
    min_exposure: Annotated[str, Query(max_length=20)] = "",
    sort: Annotated[str, Query(max_length=20)] = "exposure",
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """Search by name or id; filter and sort by grade, PD, overdue risk, exposure, warnings."""
    state = request.app.state.arscore
    date = ledger_date(state)
    report = book_aging(state, date.day)
    frame = report.customers.reset_index()[
        ["customer_id", "name", "exposure", "overdue_ar", "credit_limit", "risk_grade"]
    ].rename(columns={"risk_grade": "overdue_risk"})
    scores, run_as_of = _latest_scores(request, viewer)
    frame = frame.merge(scores, on="customer_id", how="left")
    warn = warnings_by_customer(report)
    frame["warnings"] = frame["customer_id"].map(warn).fillna("")
    frame["warning_count"] = frame["warnings"].map(lambda t: len(t.split(", ")) if t else 0)
    if q.strip():
        needle = q.strip().lower()
        frame = frame[
            frame["customer_id"].str.lower().str.contains(needle, regex=False)
            | frame["name"].fillna("").str.lower().str.contains(needle, regex=False)
        ]
    if grade.isdigit():
        frame = frame[frame["risk_grade"] == int(grade)]
    if overdue_risk:
        frame = frame[frame["overdue_risk"] == overdue_risk]
    if warnings_only:
        frame = frame[frame["warning_count"] > 0]
    try:
        floor = float(min_exposure.replace(",", "")) if min_exposure.strip() else None
    except ValueError:
        floor = None
    if floor is not None:
        frame = frame[frame["exposure"] >= floor]
    column = SORTS.get(sort, "exposure")
    frame = frame.sort_values(
        [column, "customer_id"], ascending=[order == "asc", True], na_position="last"
    )
    total = len(frame)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page_no = min(page_no, pages)
    rows = frame.iloc[(page_no - 1) * PAGE_SIZE : page_no * PAGE_SIZE].to_dict("records")
    params = {
        "q": q,
        "grade": grade,
        "overdue_risk": overdue_risk,
        "warnings_only": "true" if warnings_only else "",
        "min_exposure": min_exposure,
        "sort": sort,
        "order": order,
    }
    return page(
        request,
        "customers.html",
        viewer.session,
        rows=rows,
        total=total,
        page_no=page_no,
        pages=pages,
        params=params,
        query=lambda **changes: _query({**params, **changes}),
        run_as_of=run_as_of,
        data_as_of=date.day,
        grades=range(1, 11),
        overdue_grades=["low", "medium", "high", "critical"],
    )


def _query(params: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in params.items() if v not in ("", None)})


def _limit_history(request: Request, customer_id: str) -> list[dict[str, Any]]:
    state = request.app.state.arscore
    c = tables.credit_limit_changes
    with state.engine.connect() as connection:
        rows = connection.execute(
            select(c.c.changed_at, c.c.old_amount, c.c.new_amount, c.c.reason, c.c.changed_by)
            .where(c.c.customer_id == customer_id)
            .order_by(c.c.changed_at.desc(), c.c.change_id.desc())
            .limit(50)
        ).all()
    return [dict(r._mapping) for r in rows]


def customer_view(request: Request, viewer: Viewer, customer_id: str) -> dict[str, Any]:
    """Everything the customer page shows, from the API's functions."""
    state = request.app.state.arscore
    ledger = customer_ledger(state, customer_id)
    score = _score(ScoreRequest(customer_id=customer_id), state, viewer.caller, None, ledger)
    day = dt.date.fromisoformat(score["as_of"])
    # The open invoices as GET /v1/customers/{id}/invoices scores them (its own function), on
    # the sub-ledger read once for the page.
    invoices = records(
        score_open_invoices(ledger, day, state.store.current.scoring(), state.policy)
    )
    history = days_late_by_month(ledger, day, months=12)
    reasons = score["reasons"]
    buckets = score["aging"]["buckets"]
    currency = state.currency
    return {
        "customer_id": customer_id,
        "name": ledger.customers["name"].iloc[0],
        "score": score,
        "invoices": invoices,
        "limit_history": _limit_history(request, customer_id),
        "reasons_chart": charts.diverging(
            [(r["text"], float(r["contribution"])) for r in reasons],
            "Reasons: contributions to the PD up (raise risk) and down (lower it) from the "
            "portfolio's baseline, in log-odds",
        ),
        "aging_chart": charts.hbars(
            list(buckets.items()),
            "Open receivables by aging bucket",
            fmt=lambda v: money(v, currency),
            label_width=80,
        ),
        "days_late_chart": charts.columns(
            [(f"{m:%b %y}", v) for m, v in history],
            "Average days late of invoices settled, by month (amount-weighted)",
            fmt=lambda v: number(v, 0),
        ),
        "days_late_rows": history,
    }


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(request: Request, customer_id: CustomerPath, viewer: Officer) -> HTMLResponse:
    """PD, grade, score, reasons, aging, payment behaviour, open invoices, warnings, limits."""
    try:
        view = customer_view(request, viewer, customer_id)
    except ServiceError as exc:
        return _error(request, viewer, exc)
    saved = request.query_params.get("saved") == "1"
    return page(request, "customer.html", viewer.session, saved=saved, form={}, **view)


@router.post("/customers/{customer_id}/credit-limit", response_model=None)
def set_limit(
    request: Request,
    customer_id: CustomerPath,
    viewer: Officer,
    amount: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Set the approved limit with a reason through the API's own function (audited)."""
    check_csrf(viewer.session, csrf_token)
    state = request.app.state.arscore
    errors: dict[str, str] = {}
    body = None
    try:
        value = float(amount.replace(",", "").strip()) if amount.strip() else math.nan
        body = CreditLimitRequest(amount=value, reason=reason)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        if isinstance(exc, ValidationError):
            for e in exc.errors():
                errors[str(e["loc"][0])] = e["msg"]
        else:
            errors["amount"] = "enter the limit as a number, e.g. 50000"
    if body is not None:
        try:
            set_credit_limit(customer_id, body, state, viewer.caller, None)
        except ServiceError as exc:
            return _error(request, viewer, exc)
        forget(state)
        return RedirectResponse(f"/app/customers/{customer_id}?saved=1", status_code=303)
    try:
        view = customer_view(request, viewer, customer_id)
    except ServiceError as exc:
        return _error(request, viewer, exc)
    return page(
        request,
        "customer.html",
        viewer.session,
        status_code=422,
        saved=False,
        form={"amount": amount, "reason": reason, "errors": errors},
        **view,
    )


def _error(request: Request, viewer: Viewer, exc: ServiceError) -> HTMLResponse:
    return page(
        request,
        "error.html",
        viewer.session,
        status_code=exc.status_code,
        title="Not available" if exc.status_code != 404 else "Not found",
        message=exc.message,
        back="/app/customers",
    )
