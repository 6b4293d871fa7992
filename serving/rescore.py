"""Batch rescoring: every customer through :func:`models.scoring.customers.score_customers`
(the same code as ``POST /v1/scores``), stored as a run with its model versions and the ledger's
as-of date, then summarised against the latest run as of an earlier date (grade migration, new
early warnings, limits) and by the tier that gave each PD (``pd_basis``): a rerun for the same
date, or a backfill for an older one, is never what the grades migrated from."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, desc, select, update
from sqlalchemy.exc import SQLAlchemyError

from features.ledger_arrays import LedgerArrays, from_day, to_day
from ledger import tables
from ledger.frames import Ledger
from models.reasons import FeatureText
from models.rounding import rounded
from models.scoring.common import ScoringModels, ScoringPolicy
from models.scoring.customers import CustomerScore, score_customers

Progress = Callable[[int, int], None]
CHUNK = 5_000
# A job's worker writes a heartbeat this often; a queued or running job silent for
# STALE_AFTER_SECONDS (or whose worker process is gone, on this host) is failed as orphaned.
# The margin is wide because a heartbeat may wait on a long ingest's write lock (SQLite).
HEARTBEAT_SECONDS = 10.0
STALE_AFTER_SECONDS = 120.0
UNFINISHED = ("queued", "running")


def this_worker() -> str:
    """This process as a job's worker: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _worker_alive(worker: str | None) -> bool | None:
    """Whether ``worker``'s process still runs; None when that cannot be told from here
    (another host, or no worker recorded)."""
    if not worker:
        return None
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, as another user
    return True


def _utc(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back the stored UTC timestamps without their zone.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def fail_run(engine: Engine, run_id: str, reason: str) -> bool:
    """Mark a queued or running job failed with ``reason``; False when it had already ended."""
    runs = tables.rescore_runs
    with engine.begin() as connection:
        changed = connection.execute(
            update(runs)
            .where(runs.c.run_id == run_id, runs.c.status.in_(UNFINISHED))
            .values(status="failed", error=reason[:4000], finished_at=dt.datetime.now(dt.UTC))
        ).rowcount
    return bool(changed)


def fail_orphaned_runs(
    engine: Engine, stale_after: float = STALE_AFTER_SECONDS, now: dt.datetime | None = None
) -> list[str]:
    """Fail every queued or running job whose worker is gone: its process no longer runs on
    this host, or it has sent no heartbeat for ``stale_after`` seconds. Returns their ids."""
    now = now or dt.datetime.now(dt.UTC)
    runs = tables.rescore_runs
    with engine.connect() as connection:
        rows = connection.execute(
            select(runs.c.run_id, runs.c.worker, runs.c.heartbeat_at, runs.c.started_at).where(
                runs.c.status.in_(UNFINISHED)
            )
        ).all()
    failed = []
    for run_id, worker, heartbeat_at, started_at in rows:
        beat = _utc(heartbeat_at or started_at)
        silent = (now - beat).total_seconds()
        who = worker or "an unrecorded worker"
        if _worker_alive(worker) is False:
            reason = (
                f"the worker running this job ({who}) has stopped; "
                f"last heartbeat {beat:%Y-%m-%d %H:%M:%S} UTC"
            )
        elif silent > stale_after:
            reason = (
                f"no heartbeat from the worker running this job ({who}) for {silent:,.0f} s "
                f"(more than {stale_after:g} s): it stopped or hung"
            )
        else:
            continue
        if fail_run(engine, run_id, "orphaned: " + reason):
            failed.append(run_id)
    return failed


class Heartbeat:
    """While open, writes the job's heartbeat (and this worker) every ``every`` seconds from a
    daemon thread; a failed write is skipped (the next one retries)."""

    def __init__(self, engine: Engine, run_id: str, every: float = HEARTBEAT_SECONDS) -> None:
        self.engine, self.run_id, self.every = engine, run_id, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True, name=f"heartbeat-{run_id}")

    def _beat(self) -> None:
        runs = tables.rescore_runs
        while True:
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        update(runs)
                        .where(runs.c.run_id == self.run_id)
                        .values(worker=this_worker(), heartbeat_at=dt.datetime.now(dt.UTC))
                    )
            except SQLAlchemyError:
                pass
            if self._stop.wait(self.every):
                return

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass(frozen=True)
class RescoreResult:
    run_id: str
    as_of: dt.date
    scores: list[CustomerScore]
    previous_run_id: str | None
    summary: dict[str, Any]
    data_as_of: dt.date | None = None


def _row(run_id: str, s: CustomerScore) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "customer_id": s.customer_id,
        "as_of": s.as_of,
        "default_probability": s.default_probability,
        "late_payment_probability": s.late_payment_probability,
        "expected_days_late": s.expected_days_late,
        "risk_grade": s.risk_grade,
        "score": round(s.score),
        "recommended_credit_limit": s.recommended_credit_limit["amount"],
        "current_credit_limit": s.current_credit_limit,
        "overdue_risk": s.overdue_risk["grade"],
        "reasons": json.dumps(s.reasons[:3]),
        "early_warnings": json.dumps([w["code"] for w in s.early_warnings]),
        "pd_basis": str(s.pd_basis),
        "limit_rule": s.recommended_credit_limit["binding_rule"],
        "limit_basis": s.recommended_credit_limit["basis"],
    }


def previous_run(engine: Engine, as_of: dt.date) -> str | None:
    """The finished run to compare a run as of ``as_of`` with: the latest one as of an earlier
    date (the newest started among those as of that date)."""
    r = tables.rescore_runs
    with engine.connect() as connection:
        return connection.execute(
            select(r.c.run_id)
            .where(r.c.status == "done", r.c.as_of < as_of)
            .order_by(desc(r.c.as_of), desc(r.c.started_at))
            .limit(1)
        ).scalar_one_or_none()


def previous_scores(engine: Engine, run_id: str | None) -> pd.DataFrame:
    s = tables.customer_scores
    if run_id is None:
        return pd.DataFrame(columns=["customer_id", "risk_grade", "early_warnings"])
    with engine.connect() as connection:
        rows = connection.execute(
            select(s.c.customer_id, s.c.risk_grade, s.c.early_warnings).where(s.c.run_id == run_id)
        ).all()
    return pd.DataFrame(rows, columns=["customer_id", "risk_grade", "early_warnings"])


def summarise(scores: list[CustomerScore], before: pd.DataFrame) -> dict[str, Any]:
    """Counts by grade and by the tier that gave the PD, grade migration against the previous
    run, new early warnings and the total recommended against current limits."""
    now = pd.DataFrame(
        {
            "customer_id": [s.customer_id for s in scores],
            "risk_grade": [s.risk_grade for s in scores],
            "warnings": [{w["code"] for w in s.early_warnings} for s in scores],
        }
    )
    grades = now["risk_grade"].dropna().astype(int).value_counts().sort_index()
    tiers = pd.Series([str(s.pd_basis) for s in scores], dtype=object).value_counts()
    migration: dict[str, dict[str, int]] = {}
    new_warnings: list[dict[str, str]] = []
    if len(before):
        joined = now.merge(before, on="customer_id", how="inner", suffixes=("", "_before"))
        both = joined.dropna(subset=["risk_grade", "risk_grade_before"])
        table = pd.crosstab(both["risk_grade_before"].astype(int), both["risk_grade"].astype(int))
        migration = {
            str(i): {str(j): int(table.loc[i, j]) for j in table.columns} for i in table.index
        }
        earlier = {
            customer: set(json.loads(codes or "[]"))
            for customer, codes in zip(before["customer_id"], before["early_warnings"], strict=True)
        }
    else:
        earlier = {}
    for s in scores:
        old = earlier.get(s.customer_id, set())
        for w in s.early_warnings:
            if w["code"] not in old:
                new_warnings.append({"customer_id": s.customer_id, "code": w["code"]})
    recommended = sum(
        s.recommended_credit_limit["amount"] for s in scores if s.recommended_credit_limit
    )
    current = sum(s.current_credit_limit or 0.0 for s in scores)
    return rounded(
        {
            "customers": len(scores),
            "by_grade": {str(k): int(v) for k, v in grades.items()},
            "by_pd_basis": {str(k): int(v) for k, v in sorted(tiers.items())},
            "migration": migration,
            "new_early_warnings": new_warnings,
            "total_recommended_limit": recommended,
            "total_current_limit": current,
        }
    )


def rescore(
    engine: Engine,
    ledger: Ledger,
    as_of: dt.date | str,
    models: ScoringModels,
    policy: ScoringPolicy,
    *,
    texts: dict[str, FeatureText] | None = None,
    currency: str = "EUR",
    progress: Progress | None = None,
    run_id: str | None = None,
    data_as_of: dt.date | None = None,
) -> RescoreResult:
    """Score every customer onboarded by ``as_of`` in chunks, store each chunk and the run's
    progress; ``data_as_of`` (the ledger's as-of date) is stored with the run."""
    as_of = from_day(to_day(as_of)).date()
    ledger = ledger.onboarded_by(as_of)
    run_id = run_id or str(uuid.uuid4())
    before_id = previous_run(engine, as_of)
    before = previous_scores(engine, before_id)
    ids = [str(c) for c in ledger.customers["customer_id"]]
    runs = tables.rescore_runs
    with engine.begin() as connection:
        exists = connection.execute(select(runs.c.run_id).where(runs.c.run_id == run_id)).first()
        values = {
            "as_of": as_of,
            "status": "running",
            "total": len(ids),
            "done": 0,
            "model_versions": json.dumps(dict(models.versions), sort_keys=True),
            "policy_version": policy.version,
            "data_as_of": data_as_of,
            "worker": this_worker(),
            "heartbeat_at": dt.datetime.now(dt.UTC),
        }
        if exists is None:
            connection.execute(
                runs.insert().values(run_id=run_id, started_at=dt.datetime.now(dt.UTC), **values)
            )
        else:
            connection.execute(update(runs).where(runs.c.run_id == run_id).values(**values))
    scores: list[CustomerScore] = []
    unscored: list[dict[str, str]] = []

    def score(codes: list[int]) -> list[CustomerScore]:
        return score_customers(
            arrays.subset(np.asarray(codes, dtype=np.int64)),
            as_of,
            models,
            policy,
            texts=texts,
            currency=currency,
        )

    try:
        with Heartbeat(engine, run_id):
            arrays = LedgerArrays.from_ledger(ledger)
            for start in range(0, len(ids), CHUNK):
                codes = list(range(start, min(start + CHUNK, len(ids))))
                part = _score_chunk(score, codes, ids, unscored)
                with engine.begin() as connection:
                    if part:
                        connection.execute(
                            tables.customer_scores.insert(), [_row(run_id, s) for s in part]
                        )
                    connection.execute(
                        update(runs).where(runs.c.run_id == run_id).values(done=start + len(codes))
                    )
                scores.extend(part)
                if progress is not None:
                    progress(start + len(codes), len(ids))
    except Exception as exc:
        fail_run(engine, run_id, f"{type(exc).__name__}: {exc}")
        raise
    summary = {**summarise(scores, before), "unscored": unscored}
    with engine.begin() as connection:
        connection.execute(
            update(runs)
            .where(runs.c.run_id == run_id)
            .values(
                status="done",
                finished_at=dt.datetime.now(dt.UTC),
                error=unscored_note(unscored, len(ids)),
            )
        )
    return RescoreResult(run_id, as_of, scores, before_id, summary, data_as_of)


def _score_chunk(
    score: Callable[[list[int]], list[CustomerScore]],
    codes: list[int],
    ids: list[str],
    unscored: list[dict[str, str]],
) -> list[CustomerScore]:
    """Score a chunk at once; if that fails for a reason other than the database, score its
    customers one by one, so one customer's broken data costs that customer only (named in
    ``unscored`` with the reason) and not the portfolio. When no customer of the chunk can be
    scored the fault is not the data's: the first error ends the run."""
    try:
        return score(codes)
    except SQLAlchemyError:
        raise
    except Exception:
        scored: list[CustomerScore] = []
        first: Exception | None = None
        for code in codes:
            try:
                scored.extend(score([code]))
            except SQLAlchemyError:
                raise
            except Exception as exc:
                first = first or exc
                reason = f"{type(exc).__name__}: {exc}"
                unscored.append({"customer_id": ids[code], "reason": reason[:500]})
        if not scored and first is not None:
            raise first from None
        return scored


def unscored_note(unscored: list[dict[str, str]], total: int) -> str | None:
    """What a finished run could not score, for the job's ``error`` field (None: all scored)."""
    if not unscored:
        return None
    named = "; ".join(f"{u['customer_id']} ({u['reason']})" for u in unscored[:20])
    more = f"; and {len(unscored) - 20} more" if len(unscored) > 20 else ""
    note = f"scored {total - len(unscored)} of {total} customers; could not score {named}{more}"
    return note[:4000]
