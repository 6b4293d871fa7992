"""The portfolio worklist of the latest finished rescoring run: JSON, one CSV table, or the
workbook (``?format=`` or the ``Accept`` header), the same rows as ``arscore rescore --out``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from ledger.storage import load_ledger
from models.jsonable import jsonable
from models.rounding import rounded
from serving.auth import Caller
from serving.deps import OFFICERS, StateDep, require_heavy
from serving.errors import NotFound
from serving.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, csv_text, workbook_bytes
from serving.responses.common import AUTHENTICATED, errors
from serving.responses.common import Response as Answer
from serving.schemas import IsoDate
from serving.worklist import NoFinishedRun, Worklist, build_worklist

router = APIRouter(prefix="/v1/portfolio", tags=["rescoring"])
# The worklist reads the whole ledger: limited per caller like the portfolio aging.
Officer = Annotated[Caller, Depends(require_heavy(*OFFICERS))]
Format = Literal["json", "csv", "xlsx"]


class OpenInvoiceRow(Answer):
    """One open invoice of the collections worklist (columns as in ``open_invoices.csv``)."""

    priority: int
    invoice_id: str
    customer_id: str
    customer_name: str | None
    invoice_date: dt.date
    due_date: dt.date
    days_overdue: int
    amount_open: float
    currency: str
    disputed: bool
    collection_step: str
    collection_action: str
    late_payment_probability: float | None
    expected_days_late: float | None
    expected_payment_date: dt.date | None
    default_probability: float | None
    expected_loss: float | None
    as_of: dt.date
    data_as_of: dt.date | None


class CustomerRow(Answer):
    """One customer for the credit committee (columns as in ``customers.csv``)."""

    customer_id: str
    name: str | None
    currency: str
    current_credit_limit: float | None
    recommended_credit_limit: float | None
    limit_rule: str | None
    limit_basis: str | None
    open_amount: float
    overdue_amount: float
    risk_grade: int | None
    previous_risk_grade: int | None
    grade_change: int | None
    default_probability: float | None
    previous_default_probability: float | None
    pd_change: float | None
    pd_basis: str | None
    late_payment_probability: float | None
    score: int | None
    overdue_risk: str | None
    early_warnings: str
    top_reasons: str
    as_of: dt.date
    data_as_of: dt.date | None


class WorklistResponse(Answer):
    """A rescoring run's worklist: open invoices (chase first at the top) and customers."""

    run_id: str
    previous_run_id: str | None
    as_of: dt.date
    data_as_of: dt.date | None
    open_invoices: list[OpenInvoiceRow]
    customers: list[CustomerRow]


def chosen_format(request: Request, given: Format | None) -> Format:
    """``?format=`` when given, else the first of xlsx, CSV or JSON the ``Accept`` header
    names (JSON when it names none)."""
    if given is not None:
        return given
    accept = request.headers.get("accept", "").lower()
    if XLSX_MEDIA_TYPE in accept:
        return "xlsx"
    if CSV_MEDIA_TYPE in accept:
        return "csv"
    return "json"


def _file_name(worklist: Worklist, table: str, suffix: str) -> str:
    return f"{table}_{worklist.as_of.isoformat()}.{suffix}"


@router.get(
    "/worklist",
    response_model=WorklistResponse,
    responses={
        **errors(*AUTHENTICATED, 403, 404, 422, 429),
        200: {
            "content": {
                XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
                CSV_MEDIA_TYPE: {"schema": {"type": "string"}},
            },
            "description": "JSON, or the workbook (a sheet per table), or one table as CSV",
        },
    },
)
def worklist(
    request: Request,
    state: StateDep,
    caller: Officer,
    as_of: Annotated[
        IsoDate | None, Query(description="The latest finished run as of this date")
    ] = None,
    format: Annotated[
        Format | None, Query(description="json, csv or xlsx (default: from Accept, else json)")
    ] = None,
    table: Annotated[
        Literal["open_invoices", "customers"], Query(description="The table a CSV holds")
    ] = "open_invoices",
) -> Response | dict[str, object]:
    """The latest finished rescoring run's worklist (or the latest as of ``as_of``): the
    open invoices ranked for collection and the customers with limits, grades and changes.
    Open invoices are scored with the champions in use, as of the run's date."""
    try:
        result = build_worklist(
            state.engine,
            load_ledger(state.engine),
            state.store.current.scoring(),
            state.policy,
            as_of=as_of,
            currency=state.currency,
        )
    except NoFinishedRun as exc:
        raise NotFound(f"{exc}: start one with POST /v1/portfolio/rescore") from exc
    kind = chosen_format(request, format)
    if kind == "xlsx":
        name = _file_name(result, "worklist", "xlsx")
        return Response(
            workbook_bytes(result),
            media_type=XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    if kind == "csv":
        frame = result.open_invoices if table == "open_invoices" else result.customers
        name = _file_name(result, table, "csv")
        return Response(
            csv_text(frame),
            media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return rounded(
        {
            "run_id": result.run_id,
            "previous_run_id": result.previous_run_id,
            "as_of": result.as_of.isoformat(),
            "data_as_of": None if result.data_as_of is None else result.data_as_of.isoformat(),
            "open_invoices": jsonable(result.open_invoices.to_dict(orient="records")),
            "customers": jsonable(result.customers.to_dict(orient="records")),
        }
    )
