"""Unknown query parameters are a 422, not ignored: ``?asof=2026-06-30`` (a typo for
``as_of``) used to answer as of the ledger's date, as if the caller had asked for that."""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from serving.errors import Unprocessable


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters a route declares, its dependencies' included (a walk of a few
    nodes per request; routes are not hashable, so there is no cache to key)."""
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def refuse_unknown_query(request: Request) -> None:
    """An app-wide dependency: 422 naming each query parameter the route does not take."""
    route = request.scope.get("route")
    if not request.query_params or not isinstance(route, APIRoute) or not route.include_in_schema:
        return  # the web pages (not in the API's schema) read their own query parameters
    known = _query_names(route.dependant)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        takes = ", ".join(sorted(known)) or "none"
        raise Unprocessable(
            f"unknown query parameter {', '.join(repr(n) for n in unknown)}; "
            f"this endpoint takes: {takes}",
            [{"loc": f"query.{name}", "msg": "unknown query parameter"} for name in unknown],
        )
