"""Portfolio rescoring jobs and their stored results."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import and_, select
from sqlalchemy.exc import SQLAlchemyError

from ledger import tables
from ledger.storage import load_ledger
from serving.auth import Caller, Role
from serving.decide import ledger_date
from serving.deps import OFFICERS, AsOfQuery, IdPath, StateDep, require, require_heavy
from serving.errors import NotFound
from serving.rescore import Heartbeat, fail_orphaned_runs, fail_run, rescore, this_worker
from serving.responses.common import AUTHENTICATED, WITH_BODY, errors
from serving.responses.rescore import PortfolioScores, RescoreJob, RescoreStarted
from serving.schemas import RescoreRequest
from serving.state import ServiceState

router = APIRouter(prefix="/v1/portfolio", tags=["rescoring"])
Admin = Annotated[Caller, Depends(require(Role.RISK_ADMIN))]


def _run_job(state: ServiceState, run_id: str, as_of: dt.date, data_as_of: dt.date | None) -> None:
    """The job body. Whatever stops it - the ledger unreadable at the start, a scoring error -
    ends the run ``failed`` with the reason (a background thread has no caller to tell); if
    even that write fails, the run's heartbeat stops and the orphan sweep fails it later."""
    try:
        with Heartbeat(state.engine, run_id):
            ledger = load_ledger(state.engine)
        champions = state.store.current
        rescore(
            state.engine,
            ledger,
            as_of,
            champions.scoring(),
            state.policy,
            texts=state.texts,
            currency=state.currency,
            run_id=run_id,
            data_as_of=data_as_of,
        )
    except Exception as exc:
        with contextlib.suppress(Exception):
            fail_run(state.engine, run_id, f"{type(exc).__name__}: {exc}")


def sweep_orphans(state: ServiceState) -> None:
    """Fail jobs whose worker died (see :func:`serving.rescore.fail_orphaned_runs`); a
    database that cannot be read now is swept on the next call."""
    with contextlib.suppress(SQLAlchemyError):
        fail_orphaned_runs(state.engine)


@router.post("/rescore", status_code=202, responses=errors(*AUTHENTICATED, *WITH_BODY, 403, 429))
def start_rescore(
    body: RescoreRequest,
    state: StateDep,
    caller: Annotated[Caller, Depends(require_heavy(Role.RISK_ADMIN))],
) -> RescoreStarted:
    """Start scoring every customer as of ``as_of`` (the ledger's as-of date if omitted); poll
    the job."""
    sweep_orphans(state)
    date = ledger_date(state, body.as_of)
    as_of = date.day
    run_id = str(uuid.uuid4())
    runs = tables.rescore_runs
    now = dt.datetime.now(dt.UTC)
    with state.engine.begin() as connection:
        connection.execute(
            runs.insert().values(
                run_id=run_id,
                as_of=as_of,
                status="queued",
                started_at=now,
                worker=this_worker(),
                heartbeat_at=now,
                total=0,
                done=0,
                data_as_of=date.data_as_of,
            )
        )
    job = threading.Thread(
        target=_run_job, args=(state, run_id, as_of, date.data_as_of), daemon=True
    )
    job.start()
    return RescoreStarted.model_validate(
        {"job_id": run_id, "status": "queued", "as_of": as_of.isoformat(), **date.fields()}
    )


@router.get("/rescore/{job_id}", responses=errors(*AUTHENTICATED, 403, 404, 422))
def rescore_status(job_id: IdPath, state: StateDep, caller: Admin) -> RescoreJob:
    """Status (queued, running, done, failed) and progress of a rescoring job."""
    if len(job_id) > 36:  # a valid id, but longer than any job id
        raise NotFound(f"no rescoring job with id {job_id!r}")
    sweep_orphans(state)  # a job whose worker died ends "failed", not "running" forever
    runs = tables.rescore_runs
    with state.engine.connect() as connection:
        row = connection.execute(select(runs).where(runs.c.run_id == job_id)).first()
    if row is None:
        raise NotFound(f"no rescoring job with id {job_id!r}")
    m = row._mapping
    return RescoreJob(
        job_id=m["run_id"],
        as_of=m["as_of"].isoformat(),
        data_as_of=_iso(m["data_as_of"]),
        status=m["status"],
        total=m["total"],
        done=m["done"],
        progress=(m["done"] / m["total"]) if m["total"] else 0.0,
        model_versions=json.loads(m["model_versions"]) if m["model_versions"] else {},
        error=m["error"],
    )


@router.get("/scores", responses=errors(*AUTHENTICATED, 403, 404, 422))
def portfolio_scores(
    state: StateDep,
    caller: Annotated[Caller, Depends(require(*OFFICERS))],
    as_of: AsOfQuery = None,
    grade: Annotated[int | None, Query(ge=1, le=50)] = None,
    changed_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1_000,
) -> PortfolioScores:
    """The latest finished run's scores (or the latest run for ``as_of``), optionally one
    grade, or only customers whose grade changed since the latest run as of an earlier date."""
    runs, scores = tables.rescore_runs, tables.customer_scores
    query = select(runs.c.run_id, runs.c.as_of, runs.c.data_as_of).where(runs.c.status == "done")
    if as_of is not None:
        query = query.where(runs.c.as_of == as_of)
    with state.engine.connect() as connection:
        found = connection.execute(query.order_by(runs.c.started_at.desc())).all()
        if not found:
            raise NotFound("no finished rescoring run" + (f" as of {as_of}" if as_of else ""))
        run_id = found[0].run_id
        earlier = connection.execute(
            select(runs.c.run_id)
            .where(and_(runs.c.status == "done", runs.c.as_of < found[0].as_of))
            .order_by(runs.c.as_of.desc(), runs.c.started_at.desc())
            .limit(1)
        ).scalar_one_or_none()
        rows = connection.execute(
            select(scores).where(scores.c.run_id == run_id).order_by(scores.c.customer_id)
        ).all()
        before: dict[str, int | None] = {}
        if earlier is not None:
            before = dict(
                connection.execute(
                    select(scores.c.customer_id, scores.c.risk_grade).where(
                        scores.c.run_id == earlier
                    )
                ).all()
            )
    out = []
    for row in rows:
        m = dict(row._mapping)
        if grade is not None and m["risk_grade"] != grade:
            continue
        previous = before.get(m["customer_id"])
        if changed_only and (earlier is None or previous == m["risk_grade"]):
            continue
        m["previous_risk_grade"] = previous
        m["as_of"] = m["as_of"].isoformat()
        m["reasons"] = json.loads(m["reasons"] or "[]")
        m["early_warnings"] = json.loads(m["early_warnings"] or "[]")
        out.append(m)
    return PortfolioScores.model_validate(
        {
            "run_id": run_id,
            "previous_run_id": earlier,
            "as_of": found[0].as_of.isoformat(),
            "data_as_of": _iso(found[0].data_as_of),
            "count": len(out),
            "scores": out[:limit],
        }
    )


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()
