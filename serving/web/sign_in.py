"""Sign-in and sign-out, and ``/`` leading to the sign-in."""

from __future__ import annotations

import logging
from typing import Annotated

import anyio
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from serving.users import SignInOutcome, record_sign_in, verify_user
from serving.web.guard import check_csrf, home_of, read_session, set_session, sign_in_url
from serving.web.render import page
from serving.web.session import Session
from serving.web.throttle import SignInThrottle

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
# Pages answer HTML or redirects, never a response model.


# A name gets 5 wrong passwords in 5 minutes; an address 30 (an office behind one NAT address
# has many people, each of whom may mistype).
PER_USER, PER_ADDRESS = 5, 30


def _throttles(request: Request) -> tuple[SignInThrottle, SignInThrottle]:
    found: tuple[SignInThrottle, SignInThrottle] | None = getattr(
        request.app.state, "sign_in_throttles", None
    )
    if found is None:
        found = (SignInThrottle(max_failures=PER_USER), SignInThrottle(max_failures=PER_ADDRESS))
        request.app.state.sign_in_throttles = found
    return found


def _safe_next(next_path: str | None, role: str | None) -> str:
    # Only this app's own pages: never an absolute URL (an open redirect).
    if next_path and next_path.startswith("/app/") and "//" not in next_path:
        return next_path
    return home_of(role)


@router.get("/")
def root() -> RedirectResponse:
    """People start at the sign-in; the API documentation stays at /docs."""
    return RedirectResponse("/app/sign-in", status_code=303)


@router.get("/app")
@router.get("/app/")
def app_root() -> RedirectResponse:
    return RedirectResponse("/app/sign-in", status_code=303)


@router.get("/app/sign-in", response_model=None)
def sign_in_form(
    request: Request, next: str | None = None, expired: bool = False
) -> HTMLResponse | RedirectResponse:
    """The sign-in form; a signed-in user goes straight on."""
    session, was_expired = read_session(request)
    if session is not None and session.user:
        return RedirectResponse(_safe_next(next, session.role), status_code=303)
    session = session or Session.anonymous()
    message = "Your session has expired. Please sign in again." if expired or was_expired else None
    response = page(
        request, "sign_in.html", None, csrf_form=session.csrf, next=next or "", message=message
    )
    set_session(request, response, session)
    return response


@router.post("/app/sign-in", response_model=None)
async def sign_in(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Check the password (throttled per user name and per address) and start a session."""
    session, _ = read_session(request)
    check_csrf(session, csrf_token)
    assert session is not None  # check_csrf refused a missing session
    by_user, by_address = _throttles(request)
    address = request.client.host if request.client else "unknown"
    user_key, address_key = f"user:{username.strip().lower()}", f"ip:{address}"
    wait = max(by_user.retry_after(user_key), by_address.retry_after(address_key))
    if wait > 0:
        response = page(
            request,
            "sign_in.html",
            None,
            status_code=429,
            csrf_form=session.csrf,
            next=next,
            username=username,
            error=f"Too many failed sign-ins. Try again in {int(wait) + 1} seconds.",
        )
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    state = request.app.state.arscore

    def verify():  # argon2 takes tens of milliseconds: off the event loop
        # The check and its event in one transaction: no sign-in without its record.
        with state.engine.begin() as connection:
            caller = verify_user(connection, username.strip(), password)
            name = username.strip() if caller is None else caller.name
            outcome = SignInOutcome.WRONG_PASSWORD if caller is None else SignInOutcome.SIGNED_IN
            record_sign_in(connection, name, address, outcome)
            return caller

    caller = await anyio.to_thread.run_sync(verify)
    if caller is None:
        by_user.failed(user_key)
        by_address.failed(address_key)
        return page(
            request,
            "sign_in.html",
            None,
            status_code=401,
            csrf_form=session.csrf,
            next=next,
            username=username,
            error="Wrong username or password.",
        )
    by_user.succeeded(user_key)
    new = Session.signed_in(caller.name, caller.role.value)
    redirect = RedirectResponse(_safe_next(next, new.role), status_code=303)
    set_session(request, redirect, new)
    return redirect


@router.post("/app/sign-out")
def sign_out(
    request: Request, csrf_token: Annotated[str, Form(max_length=200)] = ""
) -> RedirectResponse:
    session, _ = read_session(request)
    check_csrf(session, csrf_token)
    if session is not None and session.user:
        address = request.client.host if request.client else "unknown"
        try:
            with request.app.state.arscore.engine.begin() as connection:
                record_sign_in(connection, session.user, address, SignInOutcome.SIGNED_OUT)
        except SQLAlchemyError:
            # Signing out must work even while the database is away; the session ends anyway.
            log.warning("sign-out of %s not recorded: the database is unavailable", session.user)
    response = RedirectResponse(sign_in_url(), status_code=303)
    set_session(request, response, None)
    return response
