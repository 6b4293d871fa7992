"""One JSON error shape for every failure, and the mapping of domain exceptions to HTTP.

``{"error": {"code": "...", "message": "...", "details": [{"loc": "body.amount", "msg": "..."}]}}``
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException


class ServiceError(Exception):
    """An error with an HTTP status, a stable code and a plain-language message."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class NotFound(ServiceError):
    status_code = 404
    code = "not_found"


class Conflict(ServiceError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(ServiceError):
    status_code = 413
    code = "payload_too_large"


class Unprocessable(ServiceError):
    status_code = 422
    code = "validation_error"


class Unavailable(ServiceError):
    status_code = 503
    code = "unavailable"


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or []}}


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    429: "too_many_requests",
}
DATABASE_DOWN = "the database cannot be reached right now; nothing was changed, try again shortly"


def install_error_handlers(app: FastAPI) -> None:
    """Map every failure to the one JSON shape; client input never yields a 500."""

    @app.exception_handler(ServiceError)
    async def _service_error(_: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.code, exc.message, exc.details), status_code=exc.status_code
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"loc": ".".join(str(p) for p in e["loc"]), "msg": e["msg"]} for e in exc.errors()
        ]
        message = "; ".join(f"{d['loc']}: {d['msg']}" for d in details[:5])
        return JSONResponse(
            error_body("validation_error", message or "invalid request", details),
            status_code=422,
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def _database_down(_: Request, exc: Exception) -> JSONResponse:
        # Wherever a request first touches a database that is down (the token lookup, a read,
        # an audit write), the answer is a 503 in the one shape; the pool reconnects by itself
        # (pre-ping) once the database is back.
        return JSONResponse(error_body("unavailable", DATABASE_DOWN), status_code=503)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        # Starlette's outermost middleware calls this for anything unhandled (and still logs
        # the traceback), so even a bug answers in the error shape rather than plain text.
        return JSONResponse(
            error_body("internal_error", "an unexpected error occurred; it has been logged"),
            status_code=500,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(code, str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
