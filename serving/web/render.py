"""The pages' Jinja2 templates and the filters that format numbers for people: money with
thousands separators and the currency, PDs as percent, dates as dates."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Undefined
from starlette.templating import Jinja2Templates

from serving.web.session import Session

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _missing(value: Any) -> bool:
    if value is None or isinstance(value, Undefined):
        return True
    return isinstance(value, float) and math.isnan(value)


def money(value: Any, currency: str = "", decimals: int = 0) -> str:
    """``1234567.8`` → ``1,234,568 EUR``; a dash when there is no amount."""
    if _missing(value):
        return "–"
    text = f"{float(value):,.{decimals}f}"
    return f"{text} {currency}".strip()


def percent(value: Any, decimals: int = 2) -> str:
    """A probability as percent: ``0.0123`` → ``1.23 %``."""
    if _missing(value):
        return "–"
    return f"{100 * float(value):.{decimals}f} %"


def number(value: Any, decimals: int = 0) -> str:
    if _missing(value):
        return "–"
    return f"{float(value):,.{decimals}f}"


def date(value: Any) -> str:
    """ISO text, a date or a timestamp → ``7 Dec 2026``."""
    if _missing(value) or value == "":
        return "–"
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    return f"{value.day} {value:%b %Y}"


def datetime_text(value: Any) -> str:
    if _missing(value):
        return "–"
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return f"{value.day} {value:%b %Y %H:%M} UTC"


for _name, _filter in {
    "money": money,
    "percent": percent,
    "number": number,
    "date": date,
    "datetime": datetime_text,
}.items():
    TEMPLATES.env.filters[_name] = _filter


def page(
    request: Request,
    template: str,
    session: Session | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` with the signed-in user, the CSRF token for its forms and the
    service's currency."""
    state = request.app.state.arscore
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "user": None if session is None else session.user,
            "role": None if session is None else session.role,
            "csrf": "" if session is None else session.csrf,
            "currency": state.currency,
            **context,
        },
        status_code=status_code,
    )
