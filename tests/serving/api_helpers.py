"""Helpers shared by the API tests (tests/serving/test_api*.py)."""

from __future__ import annotations

from sqlalchemy import Row, select

from ledger import tables

AS_OF = "2026-10-31"


def customer_of(trained, n: int = 5) -> str:
    """The id of the ``n``-th customer of the trained ledger."""
    return str(trained.ledger.customers["customer_id"].iloc[n])


def decision_rows(server, decision_id: str) -> list[Row]:
    """The audit rows recorded for ``decision_id``."""
    with server.state.engine.connect() as connection:
        return list(
            connection.execute(
                select(tables.decisions).where(tables.decisions.c.decision_id == decision_id)
            ).all()
        )
