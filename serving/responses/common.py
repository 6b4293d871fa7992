"""The error shape every failure answers in, the error statuses a route documents, and the
pieces several answers share (warnings about the ledger's date)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Response(BaseModel):
    """Base of every answer: the fields are the contract, none is left out of the schema."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(Response):
    """One problem: where (``body.amount``, ``query.as_of``, ``body.records.3.amount``) and
    what is wrong there."""

    loc: str
    msg: str


class ErrorBody(Response):
    code: str = Field(description="Stable machine-readable code, e.g. validation_error")
    message: str = Field(description="What went wrong, in plain language")
    details: list[ErrorDetail] = Field(description="Field-level problems; empty if none")


class ErrorResponse(Response):
    """The one error shape: ``{"error": {"code", "message", "details"}}``."""

    error: ErrorBody


class DataWarning(Response):
    """Why an answer may not be what it seems: ``stale_data``, ``as_of_after_data``."""

    code: str
    message: str


_MEANING = {
    400: "The body is not JSON that can be read, e.g. not UTF-8 (`bad_request`)",
    401: "Missing or unknown API token (`unauthorized`)",
    403: "The token's role may not do this (`forbidden`)",
    404: "No such customer, decision, job or finished run (`not_found`)",
    409: "The Idempotency-Key was used before with another request (`conflict`)",
    413: "The body or the batch is over its limit (`payload_too_large`)",
    422: "The request breaks the schema or a rule, or names an unknown query parameter; "
    "`details` name the fields (`validation_error`)",
    429: "Too many whole-portfolio requests from this caller; wait `Retry-After` seconds "
    "(`too_many_requests`)",
    503: "The database cannot be reached; nothing was changed, try again (`unavailable`)",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route: each error status it can answer, in the one error shape.
    Documenting 422 here replaces FastAPI's default ``{"detail": [...]}`` schema, which no
    answer of this service has."""
    return {
        status: {"model": ErrorResponse, "description": _MEANING[status]}
        for status in sorted(statuses)
    }


# Every authenticated route can answer these: no or an unknown token, and the database down
# (the token lookup reads it). A route for some roles only adds 403. Every route can answer
# 422: an unknown query parameter is refused (serving/strict_query.py).
AUTHENTICATED = (401, 503)
# A route that reads a JSON body: unreadable (400), over the body limit (413), invalid (422).
WITH_BODY = (400, 413, 422)
