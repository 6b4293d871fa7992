"""Reload requests shared through the database, so every worker serves the same champions.

Each uvicorn worker holds its own models. ``POST /v1/models/reload`` reaches one of them and
``arscore promote`` none at all, so both record a request here; every worker checks the newest
request id every few seconds (one indexed read of a tiny table) and reloads when it changes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, func, select

from ledger import tables


def record_reload_request(connection: Connection, requested_by: str, reason: str) -> int:
    """Ask every worker to reload its champions; returns the request id."""
    requests = tables.model_reload_requests
    inserted = connection.execute(
        requests.insert()
        .values(
            requested_at=datetime.now(UTC), requested_by=requested_by[:100], reason=reason[:200]
        )
        .returning(requests.c.request_id)
    )
    return int(inserted.scalar_one())


def latest_reload_request(connection: Connection) -> int:
    """The newest request id (0 when there has been none)."""
    column = tables.model_reload_requests.c.request_id
    return int(connection.execute(select(func.coalesce(func.max(column), 0))).scalar_one())
