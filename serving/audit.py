"""The decision audit trail: every decision is recorded before it is returned.

Records are append-only (the database refuses UPDATE and DELETE). A decision-creating request
may carry an ``Idempotency-Key``: the same caller, key and body return the stored decision
instead of a second record; the same key with a different body is a conflict.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ledger import tables
from serving.auth import Caller
from serving.errors import Conflict, Unavailable


def canonical_json(value: Any) -> str:
    """Stable JSON (sorted keys, no spaces) so equal inputs have equal fingerprints."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def fingerprint(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Decision:
    """A stored decision as the API returns it."""

    decision_id: str
    created_at: datetime
    caller_name: str
    caller_role: str
    endpoint: str
    customer_id: str | None
    model_versions: dict[str, Any]
    policy_version: str
    input_fingerprint: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]


def _decision(row: Row[Any]) -> Decision:
    m = row._mapping
    return Decision(
        decision_id=m["decision_id"],
        created_at=m["created_at"],
        caller_name=m["caller_name"],
        caller_role=m["caller_role"],
        endpoint=m["endpoint"],
        customer_id=m["customer_id"],
        model_versions=json.loads(m["model_versions"]),
        policy_version=m["policy_version"],
        input_fingerprint=m["input_fingerprint"],
        inputs=json.loads(m["inputs"]),
        outputs=json.loads(m["outputs"]),
    )


def find_by_idempotency_key(
    connection: Connection, caller: Caller, key: str, inputs: dict[str, Any]
) -> Decision | None:
    """The decision this caller already made under ``key``, if any; a different body under the
    same key is refused (409), since it would silently return a decision about other inputs."""
    d = tables.decisions
    row = connection.execute(
        select(d).where(d.c.caller_name == caller.name, d.c.idempotency_key == key)
    ).first()
    if row is None:
        return None
    found = _decision(row)
    if found.input_fingerprint != fingerprint(inputs):
        raise Conflict(
            f"Idempotency-Key {key!r} was already used with a different request body; "
            "use a new key for a new request"
        )
    return found


def get_decision(connection: Connection, decision_id: str) -> Decision | None:
    d = tables.decisions
    row = connection.execute(select(d).where(d.c.decision_id == decision_id)).first()
    return None if row is None else _decision(row)


# Built once: a statement built per call with ``.values()`` spent more time in SQLAlchemy's
# statement construction and cache-key generation than SQLite spent on the insert.
_INSERT_DECISION = tables.decisions.insert()


def record_decision(
    engine: Engine,
    caller: Caller,
    endpoint: str,
    customer_id: str | None,
    model_versions: dict[str, Any],
    policy_version: str,
    inputs: dict[str, Any],
    outputs: dict[str, Any],
    idempotency_key: str | None = None,
    extra: Any = None,
) -> str:
    """Write the audit record and return its id; raise 503 if it cannot be written.

    ``outputs`` must not yet carry the decision id: it is added here, so the stored outputs are
    exactly what the client receives. ``extra``, if given, is called with the open connection
    inside the same transaction (e.g. to store a limit change with its decision).
    """
    decision_id = str(uuid.uuid4())
    outputs = {"decision_id": decision_id, **outputs}
    try:
        with engine.begin() as connection:
            connection.execute(
                _INSERT_DECISION,
                {
                    "decision_id": decision_id,
                    "created_at": datetime.now(UTC),
                    "caller_name": caller.name,
                    "caller_role": caller.role.value,
                    "endpoint": endpoint,
                    "customer_id": customer_id,
                    "model_versions": canonical_json(model_versions),
                    "policy_version": policy_version,
                    "input_fingerprint": fingerprint(inputs),
                    "inputs": canonical_json(inputs),
                    "outputs": canonical_json(outputs),
                    "idempotency_key": idempotency_key,
                },
            )
            if extra is not None:
                extra(connection, decision_id)
    except IntegrityError as exc:
        if idempotency_key is not None:
            raise Conflict(
                f"a request with Idempotency-Key {idempotency_key!r} is already being processed"
            ) from exc
        raise Unavailable("the decision could not be recorded in the audit trail") from exc
    except SQLAlchemyError as exc:
        raise Unavailable(
            "the decision could not be recorded in the audit trail; no decision was made"
        ) from exc
    return decision_id
