"""Bulk upserts of invoices, payments and orders: the same validation as ``arscore ingest``,
all-or-nothing in one transaction, idempotent by id, 422 with the failing record and field."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import SQLAlchemyError

from ledger.as_of import evidence_dates, next_dates, read_ledger_dates
from ledger.schema import ENTITIES, Kind
from ledger.storage import (
    id_problem,
    load_ledger,
    lock_invoices,
    record_ingest_run,
    referenced_customers,
    upsert_frames,
    write_transaction,
)
from ledger.validate import IngestError, Issue, provided_columns, validate_frames
from serving.auth import Caller, Role
from serving.deps import StateDep, require
from serving.errors import PayloadTooLarge, Unavailable, Unprocessable
from serving.responses.common import AUTHENTICATED, WITH_BODY, errors
from serving.responses.ledger import UpsertResult
from serving.state import ServiceState

router = APIRouter(prefix="/v1/ledger", tags=["ledger"])
Admin = Annotated[Caller, Depends(require(Role.RISK_ADMIN))]
Cell = Annotated[str, Field(max_length=500)] | int | float | bool | None
Entity = Literal["invoices", "payments", "orders"]
UPSERT_ERRORS = errors(*AUTHENTICATED, *WITH_BODY, 403)


class Records(BaseModel):
    """Rows of one ledger file as JSON objects, keyed by the file's column names."""

    model_config = ConfigDict(extra="forbid")

    records: Annotated[list[dict[Annotated[str, Field(max_length=64)], Cell]], Field(min_length=1)]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _id_issues(entity: Entity, raw: pd.DataFrame) -> list[Issue]:
    """Ids that break the one id rule (:func:`ledger.storage.id_problem`), found before any
    query: no database is asked about an id it could not store (PostgreSQL refuses NUL)."""
    issues = []
    for field in ENTITIES[entity].fields:
        if field.kind is not Kind.ID or field.name not in raw.columns:
            continue
        for row, value in zip(raw.index, raw[field.name], strict=True):
            text = "" if value is None else str(value).strip()
            problem = id_problem(text) if text else None  # a missing id is validation's to say
            if problem is not None:
                issues.append(Issue("records", int(row), field.name, text[:80], problem))
    return issues


def _invoice_ids(raw: pd.DataFrame) -> set[str]:
    """The invoice ids a batch of invoices or payments names."""
    if "invoice_id" not in raw.columns:
        return set()
    text = raw["invoice_id"].dropna().astype(str).str.strip()
    return set(text[text != ""])


def upsert(state: ServiceState, entity: Entity, body: Records, caller: Caller) -> UpsertResult:
    """Validate ``body`` against the stored ledger and upsert it, or change nothing; the
    ingest log records the batch and the ledger's as-of date after it."""
    limit = state.config.max_batch_rows
    if len(body.records) > limit:
        raise PayloadTooLarge(
            f"{len(body.records):,} records in one request; the limit is {limit:,} - "
            "send them in smaller batches"
        )
    columns = list(dict.fromkeys(k for r in body.records for k in r))
    raw = pd.DataFrame(
        [[_text(r.get(c)) for c in columns] for r in body.records],
        columns=columns,
        index=pd.RangeIndex(1, len(body.records) + 1),
        dtype=object,
    )
    try:
        issues = _id_issues(entity, raw)
        if issues:
            raise IngestError(issues)
        with write_transaction(state.engine) as connection:
            # The checks below (paid <= amount, which customer an invoice belongs to) read what
            # concurrent uploads write: the invoices this batch names stay locked until it
            # commits, so parallel uploads of the same invoices take turns.
            lock_invoices(connection, _invoice_ids(raw))
            # Only the customers the batch touches: a few rows must not read the whole book.
            touched = referenced_customers(connection, {entity: raw})
            existing = load_ledger(connection, touched, implied_payments=False)
            frames = validate_frames(
                {entity: raw},
                existing,
                currency=state.currency,
                file_names={entity: "records"},
            )
            dates = next_dates(read_ledger_dates(connection), evidence_dates(frames))
            written = upsert_frames(connection, frames, provided_columns({entity: raw}, None))
            source = f"POST /v1/ledger/{entity} by {caller.name}"
            record_ingest_run(connection, source, written, None, dates)
    except IngestError as exc:
        details = [
            {
                "loc": f"body.records.{issue.row}" + (f".{issue.column}" if issue.column else ""),
                "msg": issue.reason,
            }
            for issue in exc.issues
        ]
        raise Unprocessable(exc.summary(), details) from exc
    except SQLAlchemyError as exc:
        raise Unavailable("the ledger could not be written; nothing was changed") from exc
    state.ledger_clock.set(dates)
    return UpsertResult(
        entity=entity,
        rows_written=written,
        data_as_of=None if dates.as_of is None else dates.as_of.isoformat(),
    )


@router.post("/invoices", responses=UPSERT_ERRORS)
def upsert_invoices(body: Records, state: StateDep, caller: Admin) -> UpsertResult:
    """Insert or update invoices by ``invoice_id``."""
    return upsert(state, "invoices", body, caller)


@router.post("/payments", responses=UPSERT_ERRORS)
def upsert_payments(body: Records, state: StateDep, caller: Admin) -> UpsertResult:
    """Insert or update payments by ``payment_id``."""
    return upsert(state, "payments", body, caller)


@router.post("/orders", responses=UPSERT_ERRORS)
def upsert_orders(body: Records, state: StateDep, caller: Admin) -> UpsertResult:
    """Insert or update open orders by ``order_id``."""
    return upsert(state, "orders", body, caller)
