"""Liveness and readiness."""

from __future__ import annotations

import os

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from ledger.as_of import data_age_days, stale_warning, utc_today
from serving.deps import SeesDetail, StateDep
from serving.responses.common import errors
from serving.responses.health import Alive, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", responses=errors(422))
def healthz() -> Alive:
    """The process is alive."""
    return Alive(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={
        **errors(422),
        503: {"model": Readiness, "description": "Not ready: `problems` say why"},
    },
)
def readyz(state: StateDep, detail: SeesDetail) -> JSONResponse:
    """Ready when the database answers and no champion failed to load; else 503.

    A service with no model registered at all is ready: default PDs then come from the
    policy's expert scorecard (``pd_basis``), which the notes say. A model that is registered
    but failed to load (with no earlier version serving) makes the worker not ready, so a
    load balancer keeps traffic on workers that serve the champions. Stale data does not make
    the service unready, but the answer says how old the data is.

    Without a token only ``status`` is shown, unless ``public_health_detail`` is set: the rest
    names the worker pids and model versions, of use to an operator, not to a stranger."""
    problems: list[str] = []
    warnings: list[dict[str, str]] = []
    data_as_of = age = None
    try:
        with state.engine.connect() as connection:
            connection.execute(text("select 1"))
        data_as_of = state.ledger_clock.dates().as_of
    except Exception as exc:  # any failure means not ready; say which
        problems.append(f"database unreachable: {type(exc).__name__}")
    if data_as_of is not None:
        today = utc_today()
        age = data_age_days(data_as_of, today)
        stale = stale_warning(data_as_of, state.data_policy, today)
        warnings += [] if stale is None else [stale]
    champions = state.store.current
    for task, error in champions.errors.items():
        if task not in champions.loaded:
            problems.append(f"the {task} model failed to load: {error}")
    notes: list[str] = []
    if not champions.loaded and not champions.errors:
        notes.append(
            "no champion model is loaded: default PDs come from the policy's expert scorecard"
        )
    body = {
        "status": "ready" if not problems else "not_ready",
        "problems": problems,
        "notes": notes,
        "data_as_of": None if data_as_of is None else data_as_of.isoformat(),
        "data_age_days": age,
        "warnings": warnings,
        "models": champions.versions(),
        "worker": os.getpid(),  # which uvicorn worker answered (they load models separately)
    }
    if not detail:
        body = {"status": body["status"]}
    return JSONResponse(body, status_code=200 if not problems else 503)
