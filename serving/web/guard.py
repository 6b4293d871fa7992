"""Who may open a page: the signed-in user from the session cookie (still active in the
database), their role, and the CSRF token every form must carry.

A page that needs a sign-in redirects to it (and back afterwards); a role that may not open a
page gets a 403 page; a form without the session's CSRF token gets a 403 page and changes
nothing. The API's bearer tokens are not accepted here, nor cookies by the API.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response

from serving.auth import Caller, Role
from serving.users import active_user
from serving.web.session import COOKIE, Session, SessionCodec, signing_key

SIGN_IN = "/app/sign-in"


class SignInRequired(Exception):
    """No valid signed-in session: go to the sign-in page (``expired``: say why)."""

    def __init__(self, next_path: str, expired: bool = False) -> None:
        super().__init__(next_path)
        self.next_path = next_path
        self.expired = expired


class PageForbidden(Exception):
    """The signed-in user's role may not open this page or take this action."""

    def __init__(self, message: str, session: Session | None) -> None:
        super().__init__(message)
        self.message = message
        self.session = session


class CsrfRejected(Exception):
    """A form arrived without this session's CSRF token (or with another's)."""

    def __init__(self, session: Session | None) -> None:
        super().__init__("missing or wrong CSRF token")
        self.session = session


@dataclass(frozen=True)
class Viewer:
    """The signed-in user of a page request: the session and the caller it acts as."""

    session: Session
    caller: Caller


def codec(request: Request) -> SessionCodec:
    """The app's session codec, built on first use (it reads the key from the database)."""
    found: SessionCodec | None = getattr(request.app.state, "web_codec", None)
    if found is None:
        state = request.app.state.arscore
        found = SessionCodec(signing_key(state.engine), state.config.session_minutes * 60)
        request.app.state.web_codec = found
    return found


def read_session(request: Request) -> tuple[Session | None, bool]:
    """The request's session (None without a valid one) and whether a signed-in session
    expired."""
    return codec(request).loads(request.cookies.get(COOKIE))


def set_session(request: Request, response: Response, session: Session | None) -> None:
    """Set (or, with None, clear) the session cookie: HttpOnly, SameSite=Lax, Secure over
    https, lasting as long as the session may."""
    if session is None:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
        return
    value = codec(request).dumps(session)
    response.set_cookie(
        COOKIE,
        value,
        max_age=int(codec(request).max_age_seconds),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def _path_of(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def signed_in(*roles: Role) -> Callable[[Request], Coroutine[Any, Any, Viewer]]:
    """A dependency admitting signed-in, active users with one of ``roles``."""
    allowed = frozenset(roles)

    async def dependency(request: Request) -> Viewer:
        import anyio

        session, expired = read_session(request)
        if session is None or not session.user:
            raise SignInRequired(_path_of(request), expired)
        state = request.app.state.arscore

        def lookup() -> Caller | None:
            with state.engine.connect() as connection:
                return active_user(connection, str(session.user))

        caller = await anyio.to_thread.run_sync(lookup)
        if caller is None:  # disabled (or deleted) since signing in
            raise SignInRequired(_path_of(request), expired=True)
        if caller.role not in allowed:
            names = ", ".join(sorted(r.value.replace("_", " ") for r in allowed))
            raise PageForbidden(
                f"Your role ({caller.role.value.replace('_', ' ')}) cannot open this page; "
                f"it is for: {names}.",
                session,
            )
        # The role comes from the database, not the cookie: a role changed since sign-in
        # applies at once.
        return Viewer(Session(session.csrf, caller.name, caller.role.value), caller)

    return dependency


def check_csrf(session: Session | None, token: str) -> None:
    """Refuse a form whose token is not the session's (compared in constant time)."""
    if session is None or not token or not hmac.compare_digest(session.csrf, token):
        raise CsrfRejected(session)


def sign_in_url(next_path: str = "", expired: bool = False) -> str:
    params = []
    if next_path and next_path.startswith("/app/") and not next_path.startswith("//"):
        params.append("next=" + quote(next_path, safe="/"))
    if expired:
        params.append("expired=1")
    return SIGN_IN + ("?" + "&".join(params) if params else "")


ALL_ROLES = (Role.CREDIT_OFFICER, Role.SALES, Role.RISK_ADMIN)
OFFICERS = (Role.CREDIT_OFFICER, Role.RISK_ADMIN)


def home_of(role: str | None) -> str:
    """Where a user lands after signing in: sales on the limit check, the others on the
    customers list."""
    return "/app/limit-check" if role == Role.SALES.value else "/app/customers"
