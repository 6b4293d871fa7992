"""Shared steps of the request handlers: today's date, a customer's ledger, and the
decision flow (idempotency, audit record before the response)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from ledger.frames import Ledger
from ledger.storage import load_ledger
from models.errors import InvalidInputError
from models.scoring.common import check_as_of
from serving.audit import find_by_idempotency_key, record_decision
from serving.auth import Caller
from serving.errors import NotFound, Unavailable, Unprocessable
from serving.state import ServiceState


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def scoring_date(as_of: dt.date | None) -> dt.date:
    """``as_of`` or today; a future date is a 422 naming the field."""
    try:
        return check_as_of(as_of, today())
    except InvalidInputError as exc:
        raise Unprocessable(str(exc), [{"loc": "as_of", "msg": str(exc)}]) from exc


def customer_ledger(state: ServiceState, customer_id: str) -> Ledger:
    """The sub-ledger of one customer; 404 when the customer is unknown."""
    try:
        ledger = load_ledger(state.engine, customer_ids=[customer_id])
    except SQLAlchemyError as exc:
        raise Unavailable("the ledger database cannot be read right now") from exc
    if len(ledger.customers) == 0:
        raise NotFound(f"no customer with customer_id {customer_id!r}")
    return ledger


def decide(
    state: ServiceState,
    caller: Caller,
    endpoint: str,
    customer_id: str | None,
    inputs: dict[str, Any],
    idempotency_key: str | None,
    compute: Callable[[], tuple[dict[str, Any], dict[str, Any]]],
    extra: Callable[[Connection, str], None] | None = None,
) -> dict[str, Any]:
    """Return the stored decision for a repeated ``Idempotency-Key``; otherwise compute
    ``(outputs, model_versions)``, record the decision and return the outputs with its id.
    Nothing is returned unless its audit record was written (else 503)."""
    if idempotency_key is not None:
        try:
            with state.engine.connect() as connection:
                found = find_by_idempotency_key(connection, caller, idempotency_key, inputs)
        except SQLAlchemyError as exc:
            raise Unavailable("the audit trail cannot be read; no decision was made") from exc
        if found is not None:
            return found.outputs
    outputs, versions = compute()
    decision_id = record_decision(
        state.engine,
        caller,
        endpoint,
        customer_id,
        versions,
        state.policy_version,
        inputs,
        outputs,
        idempotency_key=idempotency_key,
        extra=extra,
    )
    return {"decision_id": decision_id, **outputs}
