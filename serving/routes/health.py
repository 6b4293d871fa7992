"""Liveness and readiness."""

from __future__ import annotations

import os

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from serving.deps import StateDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(state: StateDep) -> JSONResponse:
    """Ready when at least one champion is loaded and the database answers; else 503."""
    problems: list[str] = []
    try:
        with state.engine.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as exc:  # any failure means not ready; say which
        problems.append(f"database unreachable: {type(exc).__name__}")
    champions = state.store.current
    if not champions.loaded:
        problems.append("no champion model is loaded")
    body = {
        "status": "ready" if not problems else "not_ready",
        "problems": problems,
        "models": champions.versions(),
        "worker": os.getpid(),  # which uvicorn worker answered (they load models separately)
    }
    return JSONResponse(body, status_code=200 if not problems else 503)
