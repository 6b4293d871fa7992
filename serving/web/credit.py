"""Limit check (every role; the salesperson's page) and onboarding (officers), through the
API's own functions, so each is audited as the same decision with the user's name. A sales
user's pages carry no PD, score, grade or model reason: the limit check is rules only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy import func, or_, select

from ledger import tables
from serving.errors import ServiceError
from serving.routes.limits import _limit_check
from serving.routes.scores import onboarding_score
from serving.schemas import LimitCheckRequest, OnboardingRequest
from serving.web import charts
from serving.web.guard import ALL_ROLES, OFFICERS, Viewer, check_csrf, signed_in
from serving.web.render import page

router = APIRouter(prefix="/app", include_in_schema=False)
Anyone = Annotated[Viewer, Depends(signed_in(*ALL_ROLES))]
Officer = Annotated[Viewer, Depends(signed_in(*OFFICERS))]


def _matches(request: Request, text: str) -> list[dict[str, Any]]:
    """Customers whose id is ``text`` or whose id or name contains it (at most 20)."""
    c = tables.customers
    needle = f"%{text.lower()}%"
    with request.app.state.arscore.engine.connect() as connection:
        rows = connection.execute(
            select(c.c.customer_id, c.c.name)
            .where(or_(func.lower(c.c.customer_id).like(needle), func.lower(c.c.name).like(needle)))
            .order_by(c.c.customer_id)
            .limit(20)
        ).all()
    return [dict(r._mapping) for r in rows]


def _parse_amount(text: str) -> float | None:
    try:
        return float(text.replace(",", "").strip())
    except ValueError:
        return None


@router.get("/limit-check", response_class=HTMLResponse)
def limit_check_form(request: Request, viewer: Anyone) -> HTMLResponse:
    return page(request, "limit_check.html", viewer.session, form={}, result=None)


@router.post("/limit-check", response_model=None)
def limit_check(
    request: Request,
    viewer: Anyone,
    customer: Annotated[str, Form(max_length=200)] = "",
    amount: Annotated[str, Form(max_length=40)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """Approve / refer / decline an order: ``customer`` is an id, or a name to look up."""
    check_csrf(viewer.session, csrf_token)
    form: dict[str, Any] = {"customer": customer, "amount": amount, "errors": {}}
    customer = customer.strip()
    value = _parse_amount(amount)
    if value is None:
        form["errors"]["amount"] = "enter the order amount as a number, e.g. 40000"
    if not customer:
        form["errors"]["customer"] = "enter a customer id or name"
    if form["errors"]:
        return page(request, "limit_check.html", viewer.session, 422, form=form, result=None)
    matches = _matches(request, customer)
    exact = [m for m in matches if m["customer_id"] == customer]
    if not exact:
        if len(matches) == 1:
            customer = matches[0]["customer_id"]
        else:
            form["errors"]["customer"] = (
                "no customer has this id or name"
                if not matches
                else "several customers match: pick one below"
            )
            return page(
                request,
                "limit_check.html",
                viewer.session,
                422,
                form=form,
                result=None,
                matches=matches,
            )
    try:
        body = LimitCheckRequest(customer_id=customer, amount=value)
    except ValidationError as exc:
        form["errors"]["amount"] = "; ".join(e["msg"] for e in exc.errors())
        return page(request, "limit_check.html", viewer.session, 422, form=form, result=None)
    state = request.app.state.arscore
    try:
        result = _limit_check(body, state, viewer.caller, None)
    except ServiceError as exc:
        form["errors"]["customer"] = exc.message
        return page(
            request, "limit_check.html", viewer.session, exc.status_code, form=form, result=None
        )
    names = {m["customer_id"]: m["name"] for m in matches}
    return page(
        request,
        "limit_check.html",
        viewer.session,
        form=form,
        result=result,
        customer_name=names.get(customer, ""),
    )


PROFILE_FIELDS = [
    ("name", "Applicant name", "text"),
    ("industry", "Industry", "text"),
    ("country", "Country (ISO code, e.g. DE)", "text"),
    ("payment_terms_days", "Payment terms (days)", "number"),
    ("requested_limit", "Requested limit", "number"),
    ("years_in_business", "Years in business", "number"),
    ("annual_revenue", "Annual revenue", "number"),
    ("employees", "Employees", "number"),
    ("total_assets", "Total assets", "number"),
    ("total_liabilities", "Total liabilities", "number"),
    ("current_assets", "Current assets", "number"),
    ("current_liabilities", "Current liabilities", "number"),
    ("net_income", "Net income", "number"),
    ("bureau_score", "Bureau score", "number"),
]


@router.get("/onboarding", response_class=HTMLResponse)
def onboarding_form(request: Request, viewer: Officer) -> HTMLResponse:
    return page(
        request,
        "onboarding.html",
        viewer.session,
        fields=PROFILE_FIELDS,
        form={},
        errors={},
        result=None,
    )


@router.post("/onboarding", response_class=HTMLResponse)
async def onboarding(request: Request, viewer: Officer) -> HTMLResponse:
    """Score an applicant with ``POST /v1/onboarding/scores``' own function (a decision)."""
    import anyio

    raw = await request.form()
    check_csrf(viewer.session, str(raw.get("csrf_token", "")))
    form = {name: str(raw.get(name, "")).strip() for name, _, _ in PROFILE_FIELDS}
    numeric = {name for name, _, kind in PROFILE_FIELDS if kind == "number"}
    errors: dict[str, str] = {}
    profile: dict[str, Any] = {}
    for k, v in form.items():
        if v == "":
            continue
        if k not in numeric:
            profile[k] = v
            continue
        # The API takes JSON numbers only; a form sends text, read here as a number.
        number = _parse_amount(v)
        if number is None:
            errors[k] = "enter a number, e.g. 1250000"
        else:
            profile[k] = int(number) if number.is_integer() else number
    if "country" in profile:
        profile["country"] = profile["country"].upper()
    body = None
    if not errors:
        try:
            body = OnboardingRequest(**profile)
        except ValidationError as exc:
            for e in exc.errors():
                errors[str(e["loc"][0])] = e["msg"]
    if body is None:
        return page(
            request,
            "onboarding.html",
            viewer.session,
            422,
            fields=PROFILE_FIELDS,
            form=form,
            errors=errors,
            result=None,
        )
    state = request.app.state.arscore
    try:
        answer = await anyio.to_thread.run_sync(onboarding_score, body, state, viewer.caller, None)
        result = answer.model_dump()
    except ServiceError as exc:
        errors["as_of"] = exc.message
        return page(
            request,
            "onboarding.html",
            viewer.session,
            exc.status_code,
            fields=PROFILE_FIELDS,
            form=form,
            errors=errors,
            result=None,
        )
    chart = charts.diverging(
        [(r["text"], float(r["contribution"])) for r in result["reasons"]],
        "Reasons: contributions to the applicant's PD up and down from the baseline",
    )
    return page(
        request,
        "onboarding.html",
        viewer.session,
        fields=PROFILE_FIELDS,
        form=form,
        errors={},
        result=result,
        reasons_chart=chart,
    )
