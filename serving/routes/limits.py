"""Limit checks (sales) and approved credit-limit changes (credit officers)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends
from sqlalchemy import Connection, update
from sqlalchemy.exc import SQLAlchemyError

from ledger import tables
from serving.auth import Caller
from serving.decide import customer_ledger, decide, ledger_date
from serving.deps import ANY_ROLE, OFFICERS, CustomerPath, IdempotencyKey, StateDep, require
from serving.errors import NotFound, Unavailable
from serving.limit_check import check_position, read_position
from serving.responses.common import AUTHENTICATED, WITH_BODY, errors
from serving.responses.limits import CreditLimitChange, LimitCheck
from serving.schemas import CreditLimitRequest, LimitCheckRequest
from serving.state import ServiceState

router = APIRouter(prefix="/v1", tags=["credit limits"])


@router.post("/limit-checks", responses=errors(*AUTHENTICATED, *WITH_BODY, 404, 409))
async def limit_check(
    body: LimitCheckRequest,
    state: StateDep,
    caller: Annotated[Caller, Depends(require(*ANY_ROLE))],
    idempotency_key: IdempotencyKey = None,
) -> LimitCheck:
    """Approve, refer or decline an order against the customer's limit (no model call)."""
    # In a worker thread, not on the event loop: the check itself takes about a millisecond,
    # but its audit insert waits for the database's write lock, which on SQLite a long ingest
    # holds for many seconds - on the loop, that wait stalled every request of the worker.
    answer = await anyio.to_thread.run_sync(_limit_check, body, state, caller, idempotency_key)
    return LimitCheck.model_validate(answer)


def _limit_check(
    body: LimitCheckRequest, state: ServiceState, caller: Caller, idempotency_key: str | None
) -> dict[str, Any]:
    # The ledger's as-of date comes from the worker's cache (serving/ledger_clock.py).
    date = ledger_date(state)
    day = date.day
    inputs = {"customer_id": body.customer_id, "amount": body.amount, "as_of": day.isoformat()}

    def compute() -> tuple[dict[str, Any], dict[str, Any]]:
        refer_days = state.config.refer_days_overdue
        try:
            with state.engine.connect() as connection:
                position = read_position(
                    connection, body.customer_id, day, state.policy.rules, refer_days
                )
        except SQLAlchemyError as exc:
            raise Unavailable("the ledger database cannot be read right now") from exc
        if position is None:
            raise NotFound(f"no customer with customer_id {body.customer_id!r}")
        outputs = check_position(position, body.customer_id, body.amount, day, state.policy.rules)
        return {**outputs, **date.fields()}, {}

    return decide(
        state, caller, "POST /v1/limit-checks", body.customer_id, inputs, idempotency_key, compute
    )


@router.put(
    "/customers/{customer_id}/credit-limit",
    responses=errors(*AUTHENTICATED, *WITH_BODY, 403, 404, 409),
)
def set_credit_limit(
    customer_id: CustomerPath,
    body: CreditLimitRequest,
    state: StateDep,
    caller: Annotated[Caller, Depends(require(*OFFICERS))],
    idempotency_key: IdempotencyKey = None,
) -> CreditLimitChange:
    """Set the approved credit limit; the change and its reason are stored with the decision."""
    ledger = customer_ledger(state, customer_id)
    old = ledger.customers["credit_limit"].iloc[0]
    old_amount = None if old != old else float(old)  # NaN: no limit so far
    inputs = {"customer_id": customer_id, "amount": body.amount, "reason": body.reason}

    def compute() -> tuple[dict[str, Any], dict[str, Any]]:
        outputs = {
            "customer_id": customer_id,
            "previous_credit_limit": old_amount,
            "credit_limit": body.amount,
            "reason": body.reason,
            "changed_by": caller.name,
            "changed_at": datetime.now(UTC).isoformat(),
        }
        return outputs, {}

    def store(connection: Connection, decision_id: str) -> None:
        connection.execute(
            update(tables.customers)
            .where(tables.customers.c.customer_id == customer_id)
            .values(credit_limit=body.amount)
        )
        connection.execute(
            tables.credit_limit_changes.insert().values(
                customer_id=customer_id,
                old_amount=old_amount,
                new_amount=body.amount,
                reason=body.reason,
                changed_by=caller.name,
                decision_id=decision_id,
            )
        )

    answer = decide(
        state,
        caller,
        "PUT /v1/customers/{customer_id}/credit-limit",
        customer_id,
        inputs,
        idempotency_key,
        compute,
        extra=store,
    )
    return CreditLimitChange.model_validate(answer)
