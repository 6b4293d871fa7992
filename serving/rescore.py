"""Batch rescoring: every customer through :func:`models.scoring.customers.score_customers`
(the same code as ``POST /v1/scores``), stored as a run with its model versions and the ledger's
as-of date, then summarised against the latest run as of an earlier date (grade migration, new
early warnings, limits) and by the tier that gave each PD (``pd_basis``): a rerun for the same
date, or a backfill for an older one, is never what the grades migrated from."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, desc, select, update

from features.ledger_arrays import LedgerArrays, from_day, to_day
from ledger import tables
from ledger.frames import Ledger
from models.reasons import FeatureText
from models.scoring.common import ScoringModels, ScoringPolicy
from models.scoring.customers import CustomerScore, score_customers
from models.scoring.invoices import score_open_invoices

Progress = Callable[[int, int], None]
CHUNK = 5_000


@dataclass(frozen=True)
class RescoreResult:
    run_id: str
    as_of: dt.date
    scores: list[CustomerScore]
    previous_run_id: str | None
    summary: dict[str, Any]
    data_as_of: dt.date | None = None


def _row(run_id: str, s: CustomerScore) -> dict[str, Any]:
    limit = s.recommended_credit_limit
    return {
        "run_id": run_id,
        "customer_id": s.customer_id,
        "as_of": s.as_of,
        "default_probability": s.default_probability,
        "late_payment_probability": s.late_payment_probability,
        "expected_days_late": s.expected_days_late,
        "risk_grade": s.risk_grade,
        "score": None if s.score is None else round(s.score),
        "recommended_credit_limit": None if limit is None else limit["amount"],
        "current_credit_limit": s.current_credit_limit,
        "overdue_risk": s.overdue_risk["grade"],
        "reasons": json.dumps(s.reasons[:3]),
        "early_warnings": json.dumps([w["code"] for w in s.early_warnings]),
        "pd_basis": str(s.pd_basis),
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
    return {
        "customers": len(scores),
        "by_grade": {str(k): int(v) for k, v in grades.items()},
        "by_pd_basis": {str(k): int(v) for k, v in sorted(tiers.items())},
        "migration": migration,
        "new_early_warnings": new_warnings,
        "total_recommended_limit": recommended,
        "total_current_limit": current,
    }


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
        }
        if exists is None:
            connection.execute(
                runs.insert().values(run_id=run_id, started_at=dt.datetime.now(dt.UTC), **values)
            )
        else:
            connection.execute(update(runs).where(runs.c.run_id == run_id).values(**values))
    arrays = LedgerArrays.from_ledger(ledger)
    scores: list[CustomerScore] = []
    try:
        for start in range(0, len(ids), CHUNK):
            codes = list(range(start, min(start + CHUNK, len(ids))))
            part = score_customers(
                arrays.subset(np.asarray(codes, dtype=np.int64)),
                as_of,
                models,
                policy,
                texts=texts,
                currency=currency,
            )
            with engine.begin() as connection:
                connection.execute(tables.customer_scores.insert(), [_row(run_id, s) for s in part])
                connection.execute(
                    update(runs).where(runs.c.run_id == run_id).values(done=start + len(part))
                )
            scores.extend(part)
            if progress is not None:
                progress(len(scores), len(ids))
    except Exception as exc:
        with engine.begin() as connection:
            connection.execute(
                update(runs)
                .where(runs.c.run_id == run_id)
                .values(
                    status="failed",
                    error=f"{type(exc).__name__}: {exc}",
                    finished_at=dt.datetime.now(dt.UTC),
                )
            )
        raise
    summary = summarise(scores, before)
    with engine.begin() as connection:
        connection.execute(
            update(runs)
            .where(runs.c.run_id == run_id)
            .values(status="done", finished_at=dt.datetime.now(dt.UTC))
        )
    return RescoreResult(run_id, as_of, scores, before_id, summary, data_as_of)


def write_csvs(
    result: RescoreResult,
    ledger: Ledger,
    models: ScoringModels,
    policy: ScoringPolicy,
    out: Path,
) -> tuple[Path, Path]:
    """``customers.csv`` (one row per customer) and ``open_invoices.csv`` (the collections
    worklist, ranked by expected loss where a PD exists, else by delay-weighted amount), each
    row with the run's ``as_of`` and the ledger's ``data_as_of``."""
    out.mkdir(parents=True, exist_ok=True)
    data_as_of = None if result.data_as_of is None else result.data_as_of.isoformat()
    customers = pd.DataFrame(
        [
            {
                "customer_id": s.customer_id,
                "as_of": s.as_of.isoformat(),
                "data_as_of": data_as_of,
                "default_probability": s.default_probability,
                "pd_basis": str(s.pd_basis),
                "late_payment_probability": s.late_payment_probability,
                "risk_grade": s.risk_grade,
                "score": s.score,
                "recommended_credit_limit": None
                if s.recommended_credit_limit is None
                else s.recommended_credit_limit["amount"],
                "overdue_risk": s.overdue_risk["grade"],
                "top_reasons": " | ".join(r["text"] for r in s.reasons[:3]),
            }
            for s in result.scores
        ]
    )
    customers_path = out / "customers.csv"
    customers.to_csv(customers_path, index=False)
    view = score_open_invoices(
        ledger.onboarded_by(result.as_of), result.as_of, models, policy
    ).reset_index()
    pd_of = customers.set_index("customer_id")["default_probability"]
    pd_values = view["customer_id"].map(pd_of).astype(float)
    lgd = policy.credit_limits.lgd
    delay = view["days_overdue"].clip(lower=0) + 1
    view["expected_loss"] = view["open_amount"] * pd_values * lgd
    view["delay_weighted_amount"] = (
        view["open_amount"] * view["late_payment_probability"].fillna(1.0) * delay
    )
    rank = view["expected_loss"].fillna(0.0) + 0.0
    view = view.assign(_rank=rank).sort_values(
        ["_rank", "delay_weighted_amount"], ascending=False, kind="stable"
    )
    view["as_of"] = result.as_of.isoformat()
    view["data_as_of"] = data_as_of
    worklist = view.rename(columns={"open_amount": "amount_open"})[
        [
            "invoice_id",
            "customer_id",
            "amount_open",
            "days_overdue",
            "late_payment_probability",
            "expected_days_late",
            "collection_step",
            "expected_loss",
            "delay_weighted_amount",
            "as_of",
            "data_as_of",
        ]
    ]
    invoices_path = out / "open_invoices.csv"
    worklist.to_csv(invoices_path, index=False)
    return customers_path, invoices_path
