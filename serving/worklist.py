"""The two tables a credit team works from, built from a stored rescoring run, so
``arscore rescore --out`` and ``GET /v1/portfolio/worklist`` give the same rows:

- ``open_invoices``: the collections worklist, one row per open invoice, past-due invoices first,
  then by expected loss (open amount × the customer's PD × LGD), then by days overdue;
  ``priority`` is the row's place in that order (1 = chase first).
- ``customers``: one row per customer for the credit committee: current and recommended limit
  and the rule that set it, open and overdue amounts, grade and PD with their change since the
  previous run (the latest finished run as of an earlier date), warnings and top reasons.

Every figure is rounded once, by :mod:`models.rounding`, and the columns are declared here in
the order they are written.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from ledger import tables
from ledger.frames import Ledger
from models.rounding import rounded_frame, significant
from models.scoring.common import ScoringModels, ScoringPolicy
from models.scoring.invoices import score_open_invoices
from serving.rescore import previous_run

OPEN_INVOICE_COLUMNS = (
    "priority",
    "invoice_id",
    "customer_id",
    "customer_name",
    "invoice_date",
    "due_date",
    "days_overdue",
    "amount_open",
    "currency",
    "disputed",
    "collection_step",
    "collection_action",
    "late_payment_probability",
    "expected_days_late",
    "expected_payment_date",
    "default_probability",
    "expected_loss",
    "as_of",
    "data_as_of",
)
CUSTOMER_COLUMNS = (
    "customer_id",
    "name",
    "currency",
    "current_credit_limit",
    "recommended_credit_limit",
    "limit_rule",
    "limit_basis",
    "open_amount",
    "overdue_amount",
    "risk_grade",
    "previous_risk_grade",
    "grade_change",
    "default_probability",
    "previous_default_probability",
    "pd_change",
    "pd_basis",
    "late_payment_probability",
    "score",
    "overdue_risk",
    "early_warnings",
    "top_reasons",
    "as_of",
    "data_as_of",
)
DATE_COLUMNS = frozenset(
    {"invoice_date", "due_date", "expected_payment_date", "as_of", "data_as_of"}
)
NOT_DUE = "not_due"
BEFORE_FIRST_STEP = "overdue_before_first_step"


class NoFinishedRun(LookupError):
    """No finished rescoring run (as of the date asked): nothing to build a worklist from."""


@dataclass(frozen=True)
class Worklist:
    """A run's two tables, rounded and in their declared column order."""

    run_id: str
    previous_run_id: str | None
    as_of: dt.date
    data_as_of: dt.date | None
    customers: pd.DataFrame
    open_invoices: pd.DataFrame


def latest_run(engine: Engine, as_of: dt.date | None = None) -> tuple[str, dt.date, dt.date | None]:
    """(run id, as-of, data as-of) of the newest finished run, or the newest for ``as_of``."""
    runs = tables.rescore_runs
    query = select(runs.c.run_id, runs.c.as_of, runs.c.data_as_of).where(runs.c.status == "done")
    if as_of is not None:
        query = query.where(runs.c.as_of == as_of)
    with engine.connect() as connection:
        row = connection.execute(query.order_by(runs.c.started_at.desc()).limit(1)).first()
    if row is None:
        raise NoFinishedRun("no finished rescoring run" + (f" as of {as_of}" if as_of else ""))
    return row.run_id, row.as_of, row.data_as_of


def _stored_scores(engine: Engine, run_id: str | None) -> pd.DataFrame:
    s = tables.customer_scores
    columns = [
        s.c.customer_id,
        s.c.default_probability,
        s.c.late_payment_probability,
        s.c.risk_grade,
        s.c.score,
        s.c.recommended_credit_limit,
        s.c.current_credit_limit,
        s.c.overdue_risk,
        s.c.reasons,
        s.c.early_warnings,
        s.c.pd_basis,
        s.c.limit_rule,
        s.c.limit_basis,
    ]
    names = [c.name for c in columns]
    if run_id is None:
        return pd.DataFrame(columns=names)
    with engine.connect() as connection:
        rows = connection.execute(select(*columns).where(s.c.run_id == run_id)).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=names)
    for name in ("default_probability", "late_payment_probability"):
        frame[name] = pd.to_numeric(frame[name]).astype(float)
    for name in ("recommended_credit_limit", "current_credit_limit"):
        frame[name] = pd.to_numeric(frame[name]).astype(float)
    return frame


def step_text(view: pd.DataFrame, policy: ScoringPolicy) -> tuple[pd.Series, pd.Series]:
    """(step code, action text) per open invoice, with the ladder's "none" spelt out: an
    invoice not yet due says when its reminder goes out; an overdue one the ladder has not
    reached yet says from which day its first step starts."""
    ladder = policy.rules.collection
    code = view["collection_step"].astype(object).copy()
    action = view["collection_action"].astype(object).copy()
    unset = code == "none"
    overdue = view["days_overdue"] > 0
    remind = view["due_date"] - pd.to_timedelta(ladder.reminder_days_before_due, unit="D")
    not_due = unset & ~overdue
    code[not_due] = NOT_DUE
    action[not_due] = [
        f"Not due until {due:%Y-%m-%d}; reminder from {r:%Y-%m-%d}"
        for due, r in zip(view.loc[not_due, "due_date"], remind[not_due], strict=True)
    ]
    first = ladder.steps[0]
    early = unset & overdue
    code[early] = BEFORE_FIRST_STEP
    action[early] = [
        f"Overdue {int(d)} days; {first.code} from {first.from_days_overdue} days overdue"
        for d in view.loc[early, "days_overdue"]
    ]
    return code.astype(str), action.astype(str)


def _open_invoices(
    ledger: Ledger,
    as_of: dt.date,
    data_as_of: dt.date | None,
    scores: pd.DataFrame,
    models: ScoringModels,
    policy: ScoringPolicy,
    currency: str,
) -> pd.DataFrame:
    view = score_open_invoices(ledger, as_of, models, policy).reset_index()
    names = ledger.customers.set_index("customer_id")["name"]
    invoice_currency = ledger.invoices.set_index("invoice_id")["currency"]
    pd_of = scores.set_index("customer_id")["default_probability"].astype(float)
    view["customer_name"] = view["customer_id"].map(names)
    view["currency"] = view["invoice_id"].map(invoice_currency).fillna(currency)
    view["default_probability"] = view["customer_id"].map(pd_of)
    view["expected_loss"] = (
        view["open_amount"] * view["default_probability"] * policy.credit_limits.lgd
    )
    view["collection_step"], view["collection_action"] = step_text(view, policy)
    view = view.rename(columns={"open_amount": "amount_open"})
    view["_past_due"] = view["days_overdue"] > 0
    view = view.sort_values(
        ["_past_due", "expected_loss", "days_overdue", "amount_open", "invoice_id"],
        ascending=[False, False, False, False, True],
        kind="stable",
        na_position="last",
    )
    view["priority"] = np.arange(1, len(view) + 1)
    view["as_of"] = pd.Timestamp(as_of)
    view["data_as_of"] = pd.Timestamp(data_as_of) if data_as_of is not None else pd.NaT
    view["disputed"] = view["disputed"].astype(bool)
    return view[list(OPEN_INVOICE_COLUMNS)].reset_index(drop=True)


def _joined(codes: str | None, key: str | None = None) -> str:
    items = json.loads(codes or "[]")
    return " | ".join(str(i[key] if key else i) for i in items)


def _customers(
    ledger: Ledger,
    as_of: dt.date,
    data_as_of: dt.date | None,
    scores: pd.DataFrame,
    before: pd.DataFrame,
    invoices: pd.DataFrame,
    currency: str,
) -> pd.DataFrame:
    out = scores.copy()
    info = ledger.customers.set_index("customer_id")
    out["name"] = out["customer_id"].map(info["name"])
    out["currency"] = out["customer_id"].map(info["currency"]).fillna(currency)
    by_customer = invoices.groupby("customer_id")
    out["open_amount"] = out["customer_id"].map(by_customer["amount_open"].sum()).fillna(0.0)
    overdue = invoices[invoices["days_overdue"] > 0].groupby("customer_id")["amount_open"].sum()
    out["overdue_amount"] = out["customer_id"].map(overdue).fillna(0.0)
    earlier = before.set_index("customer_id")
    out["previous_risk_grade"] = out["customer_id"].map(earlier["risk_grade"]).astype("Int64")
    out["grade_change"] = out["risk_grade"].astype("Int64") - out["previous_risk_grade"]
    previous_pd = earlier["default_probability"].astype(float)
    out["previous_default_probability"] = out["customer_id"].map(previous_pd)
    # From the PDs as shown, so the sheet's own arithmetic adds up.
    shown_pd = out["default_probability"].map(significant)
    out["pd_change"] = shown_pd - out["previous_default_probability"].map(significant)
    out["early_warnings"] = [_joined(codes) for codes in out["early_warnings"]]
    out["top_reasons"] = [_joined(reasons, "text") for reasons in out["reasons"]]
    out["as_of"] = pd.Timestamp(as_of)
    out["data_as_of"] = pd.Timestamp(data_as_of) if data_as_of is not None else pd.NaT
    out = out.sort_values("customer_id", kind="stable")
    return out[list(CUSTOMER_COLUMNS)].reset_index(drop=True)


def build_worklist(
    engine: Engine,
    ledger: Ledger,
    models: ScoringModels,
    policy: ScoringPolicy,
    *,
    run_id: str | None = None,
    as_of: dt.date | None = None,
    currency: str = "EUR",
) -> Worklist:
    """The worklist of run ``run_id`` (default: the newest finished run, or the newest as of
    ``as_of``). The open invoices are scored now, with ``models``, as of the run's date."""
    if run_id is None:
        run_id, day, data_as_of = latest_run(engine, as_of)
    else:
        runs = tables.rescore_runs
        with engine.connect() as connection:
            row = connection.execute(
                select(runs.c.as_of, runs.c.data_as_of).where(runs.c.run_id == run_id)
            ).one()
        day, data_as_of = row.as_of, row.data_as_of
    scores = _stored_scores(engine, run_id)
    before_id = previous_run(engine, day)
    before = _stored_scores(engine, before_id)
    ledger = ledger.onboarded_by(day)
    invoices = _open_invoices(ledger, day, data_as_of, scores, models, policy, currency)
    customers = _customers(ledger, day, data_as_of, scores, before, invoices, currency)
    return Worklist(
        run_id,
        before_id,
        day,
        data_as_of,
        rounded_frame(customers),
        rounded_frame(invoices),
    )
