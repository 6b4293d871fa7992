"""Portfolio (officers): aging by bucket, grade distribution and migration since the previous
rescoring run, the collection worklist with filters and a CSV download, DSO over time."""

from __future__ import annotations

import datetime as dt
import io
import math
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from features.aging import age_ledger
from ledger.storage import load_ledger
from serving.decide import ledger_date
from serving.errors import NotFound
from serving.routes.rescore import portfolio_scores
from serving.web import charts
from serving.web.book import book_aging
from serving.web.guard import OFFICERS, Viewer, signed_in
from serving.web.render import money, number, page

router = APIRouter(prefix="/app", include_in_schema=False)
Officer = Annotated[Viewer, Depends(signed_in(*OFFICERS))]
WORKLIST_PAGE = 100
DSO_MONTHS = 6
_dso_cache: dict[tuple[int, dt.date], list[tuple[dt.date, float | None]]] = {}


def _worklist(
    request: Request,
    q: str,
    min_days_overdue: int | None,
    step: str,
) -> tuple[pd.DataFrame, dt.date, Any]:
    state = request.app.state.arscore
    day = ledger_date(state).day
    report = book_aging(state, day)
    names = report.customers["name"]
    view = report.invoices[report.invoices["status"] == "open"].reset_index()
    view["name"] = view["customer_id"].map(names)
    if q.strip():
        needle = q.strip().lower()
        view = view[
            view["customer_id"].str.lower().str.contains(needle, regex=False)
            | view["name"].fillna("").str.lower().str.contains(needle, regex=False)
        ]
    if min_days_overdue is not None:
        view = view[view["days_overdue"] >= min_days_overdue]
    if step:
        view = view[view["collection_step"] == step]
    view = view.sort_values(["days_overdue", "open_amount"], ascending=False, kind="stable")
    columns = [
        "invoice_id", "customer_id", "name", "invoice_date", "due_date", "open_amount",
        "days_overdue", "bucket", "collection_step", "collection_action",
    ]  # fmt: skip
    return view[columns], day, report


def _dso_history(request: Request, day: dt.date) -> list[tuple[dt.date, float | None]]:
    """The portfolio's DSO at each of the last month ends (the aging's own DSO, as of then)."""
    state = request.app.state.arscore
    key = (id(state), day)
    if key not in _dso_cache:
        ledger = load_ledger(state.engine)
        ends = pd.date_range(end=pd.Timestamp(day), periods=DSO_MONTHS, freq="ME")
        points = []
        for end in ends:
            summary = age_ledger(ledger, end.date(), state.policy.rules).summary
            dso = summary.get("dso")
            points.append((end.date(), None if dso is None or math.isnan(dso) else float(dso)))
        _dso_cache.clear()
        _dso_cache[key] = points
    return _dso_cache[key]


@router.get("/portfolio", response_class=HTMLResponse)
def portfolio(
    request: Request,
    viewer: Officer,
    q: Annotated[str, Query(max_length=100)] = "",
    min_days_overdue: Annotated[int | None, Query(ge=-10_000, le=10_000)] = None,
    step: Annotated[str, Query(max_length=50)] = "",
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    state = request.app.state.arscore
    worklist, day, report = _worklist(request, q, min_days_overdue, step)
    currency = state.currency
    buckets = report.portfolio["amount"]
    aging_chart = charts.hbars(
        [(str(k), float(v)) for k, v in buckets.items()],
        "Open receivables by aging bucket",
        fmt=lambda v: money(v, currency),
        label_width=80,
    )
    try:
        run = portfolio_scores(state, viewer.caller, None, None, False, 10_000).model_dump()
    except NotFound:
        run = None
    grades: dict[int, int] = {}
    migration: dict[int, dict[int, int]] = {}
    if run is not None:
        for s in run["scores"]:
            g = s["risk_grade"]
            if g is None:
                continue
            grades[g] = grades.get(g, 0) + 1
            before = s["previous_risk_grade"]
            if before is not None:
                row = migration.setdefault(before, {})
                row[g] = row.get(g, 0) + 1
    grade_chart = charts.hbars(
        [(f"grade {g}", float(grades.get(g, 0))) for g in range(1, 11)],
        "Customers by risk grade",
        label_width=80,
    )
    dso = _dso_history(request, day)
    dso_chart = charts.columns(
        [(f"{d:%b %y}", v) for d, v in dso],
        "Portfolio DSO at each month end (days)",
        fmt=lambda v: number(v, 1),
    )
    total = len(worklist)
    pages = max(1, math.ceil(total / WORKLIST_PAGE))
    page_no = min(page_no, pages)
    rows = worklist.iloc[(page_no - 1) * WORKLIST_PAGE : page_no * WORKLIST_PAGE]
    params = {
        "q": q,
        "min_days_overdue": "" if min_days_overdue is None else min_days_overdue,
        "step": step,
    }
    from urllib.parse import urlencode

    query = urlencode({k: v for k, v in params.items() if v != ""})
    steps = sorted(report.invoices["collection_step"].dropna().unique().tolist())
    return page(
        request,
        "portfolio.html",
        viewer.session,
        day=day,
        summary=report.summary,
        aging_chart=aging_chart,
        grade_chart=grade_chart,
        dso_chart=dso_chart,
        run=run,
        migration=migration,
        migration_columns=sorted({c for r in migration.values() for c in r}),
        rows=rows.to_dict("records"),
        total=total,
        page_no=page_no,
        pages=pages,
        params=params,
        query=query,
        steps=steps,
    )


@router.get("/portfolio/worklist.csv")
def worklist_csv(
    request: Request,
    viewer: Officer,
    q: Annotated[str, Query(max_length=100)] = "",
    min_days_overdue: Annotated[int | None, Query(ge=-10_000, le=10_000)] = None,
    step: Annotated[str, Query(max_length=50)] = "",
) -> Response:
    """The filtered worklist as CSV (opens in Excel), every row, not just the page shown."""
    worklist, day, _ = _worklist(request, q, min_days_overdue, step)
    buffer = io.StringIO()
    worklist.assign(as_of=day.isoformat()).to_csv(buffer, index=False)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="worklist-{day}.csv"'},
    )
