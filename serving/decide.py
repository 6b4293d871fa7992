"""Shared steps of the request handlers: the date an answer is as of (the ledger's own date
unless the caller names one), a customer's ledger, and the decision flow (idempotency, audit
record before the response)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from ledger.as_of import stale_warning, utc_today
from ledger.frames import Ledger
from ledger.storage import load_ledger
from models.errors import InvalidInputError
from models.rounding import rounded
from models.scoring.common import check_as_of
from serving.audit import find_by_idempotency_key, record_decision
from serving.auth import Caller
from serving.errors import NotFound, Unavailable, Unprocessable
from serving.state import ServiceState


def today() -> dt.date:
    return utc_today()


def scoring_date(as_of: dt.date | None) -> dt.date:
    """``as_of`` or today; a future date is a 422 naming the field. For answers that do not
    read the ledger (an applicant's score); the others use :func:`ledger_date`."""
    try:
        return check_as_of(as_of, today())
    except InvalidInputError as exc:
        raise _as_of_error(str(exc)) from exc


def _as_of_error(message: str) -> Unprocessable:
    return Unprocessable(message, [{"loc": "as_of", "msg": message}])


@dataclass(frozen=True)
class LedgerDate:
    """The date an answer about the ledger is as of, the ledger's own as-of date, and the
    warnings that go with them (``stale_data``, ``as_of_after_data``)."""

    day: dt.date
    data_as_of: dt.date | None
    warnings: list[dict[str, str]]

    def fields(self) -> dict[str, Any]:
        """What every answer about the ledger carries beside its ``as_of``."""
        return {
            "data_as_of": None if self.data_as_of is None else self.data_as_of.isoformat(),
            "warnings": list(self.warnings),
        }


def ledger_date(state: ServiceState, as_of: dt.date | None = None) -> LedgerDate:
    """``as_of``, or the ledger's as-of date when omitted (today for an empty ledger).

    A future date, or one before the ledger's first data, is a 422 naming the dates. The answer
    warns when the ledger's data is older than the policy allows (``stale_data``) and when
    ``as_of`` is after the data ends (what happened since is not known)."""
    try:
        dates = state.ledger_clock.dates()
    except SQLAlchemyError as exc:
        raise Unavailable("the ledger database cannot be read right now") from exc
    wall = today()
    try:
        day = check_as_of(as_of, wall) if as_of is not None else dates.as_of or wall
    except InvalidInputError as exc:
        raise _as_of_error(str(exc)) from exc
    if dates.first is not None and day < dates.first:
        raise _as_of_error(
            f"as_of {day} is before the ledger's first data ({dates.first}): "
            "nothing is known about that day"
        )
    warnings: list[dict[str, str]] = []
    if dates.as_of is not None and day >= dates.as_of:
        stale = stale_warning(dates.as_of, state.data_policy, wall)
        if stale is not None:
            warnings.append(stale)
        if day > dates.as_of:
            warnings.append(
                {
                    "code": "as_of_after_data",
                    "message": f"as_of {day} is after the ledger's data ends ({dates.as_of}): "
                    "payments and disputes since then are not known, so invoices paid "
                    "meanwhile still show as open",
                }
            )
    return LedgerDate(day, dates.as_of, warnings)


def check_onboarded(ledger: Ledger, customer_id: str, day: dt.date) -> None:
    """422 when ``day`` is before the customer's onboarding date: there is nothing to score."""
    onboarded = ledger.customers["onboarding_date"].iloc[0]
    if onboarded is not None and onboarded == onboarded and onboarded.date() > day:
        raise _as_of_error(
            f"customer {customer_id!r} was onboarded on {onboarded.date()}; it cannot be "
            f"scored as of {day}, before it was a customer"
        )


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
    outputs = rounded(outputs)  # the audit trail keeps the answer exactly as returned
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
