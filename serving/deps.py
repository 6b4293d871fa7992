"""Request dependencies: the service state and the authenticated, authorised caller."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError

from ledger.storage import ID_MAX_LENGTH, ID_PATTERN
from serving.auth import Caller, Role, authenticate
from serving.schemas import IsoDate
from serving.state import ServiceState

_bearer = HTTPBearer(auto_error=False, description="arscore API token: `arscore token create`")


# The dependencies are ``async def`` on purpose: they do (almost) no I/O, and a plain ``def`` would
# send each one through the thread pool - several thread hops per request, more than a limit
# check costs. The token lookup is one indexed read of a small table.


async def get_state(request: Request) -> ServiceState:
    return request.app.state.arscore


StateDep = Annotated[ServiceState, Depends(get_state)]

# Request parameters shared by several routes, bounded once here. Every id in a path follows the
# one id rule (ledger.storage.ID_PATTERN: 1-64 characters, no control characters): a broken id
# is a 422 naming the parameter, a valid but unknown one a 404, on every database.
IdPath = Annotated[str, Path(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]
CustomerPath = IdPath
AsOfQuery = Annotated[
    IsoDate | None, Query(description="Date of the answer; the ledger's as-of date if omitted")
]
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)
]


async def _caller(
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    unauthorized = HTTPException(
        status_code=401,
        detail="missing or unknown API token: send 'Authorization: Bearer <token>'",
        headers={"WWW-Authenticate": "Bearer"},
    )
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized
    with state.engine.connect() as connection:
        caller = authenticate(connection, credentials.credentials)
    if caller is None:
        raise unauthorized
    return caller


def sees_detail(
    state: StateDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> bool:
    """Whether the caller may see the service's inner detail on /readyz and /metrics (worker
    pids, model versions, problems, per-route counts): everyone with ``public_health_detail``,
    else callers with a valid token of any role. Never an error: a load balancer asking
    without a token, or with one while the database is down, gets the minimal answer.

    A plain ``def`` (run in the thread pool): the token lookup must not hold up the event loop
    while the database is unreachable, which is when /readyz is asked most. The header is read
    directly, not through the bearer scheme, so the schema does not say /readyz needs a token
    (it answers without one)."""
    if state.config.public_health_detail:
        return True
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    try:
        with state.engine.connect() as connection:
            return authenticate(connection, token.strip()) is not None
    except SQLAlchemyError:
        return False


SeesDetail = Annotated[bool, Depends(sees_detail)]


def require(*roles: Role) -> Callable[..., Coroutine[Any, Any, Caller]]:
    """A dependency admitting only callers with one of ``roles`` (401 unknown, 403 wrong role)."""
    allowed = frozenset(roles)

    async def dependency(caller: Annotated[Caller, Depends(_caller)]) -> Caller:
        if caller.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise HTTPException(
                status_code=403,
                detail=f"the role {caller.role.value} may not do this; allowed: {names}",
            )
        return caller

    return dependency


def require_heavy(*roles: Role) -> Callable[..., Coroutine[Any, Any, Caller]]:
    """:func:`require` for the endpoints that read the whole ledger: also refuses a caller over
    its per-caller limit (``heavy_calls_per_minute``) with 429 and ``Retry-After``."""
    admitted = require(*roles)

    # ``admitted`` is local, so it goes in a default: a string annotation (this module's
    # ``from __future__ import annotations``) could not name it.
    async def dependency(state: StateDep, caller: Caller = Depends(admitted)) -> Caller:
        wait = state.heavy_limiter.acquire(caller.name)
        if wait > 0:
            per_minute = state.config.heavy_calls_per_minute
            raise HTTPException(
                status_code=429,
                detail=f"{caller.name} called the whole-ledger endpoints more than "
                f"{per_minute:g} times a minute; retry in {wait:.1f} s",
                headers={"Retry-After": state.heavy_limiter.retry_after(wait)},
            )
        return caller

    return dependency


ANY_ROLE = (Role.CREDIT_OFFICER, Role.SALES, Role.RISK_ADMIN)
OFFICERS = (Role.CREDIT_OFFICER, Role.RISK_ADMIN)
