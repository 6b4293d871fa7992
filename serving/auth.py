"""API tokens: created once, shown once, stored only as a SHA-256 hash.

A token is 32 random bytes (URL-safe base64) with an ``ars_`` prefix so it is recognisable in a
leaked config file. Looking one up hashes the presented value and compares hashes, so the
database never holds anything that would let someone call the API.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Connection, bindparam, select, update

from ledger import tables

TOKEN_PREFIX = "ars_"


class Role(StrEnum):
    """Who may do what: sales checks limits; credit officers score and decide; risk admins also
    load data, rescore and manage models."""

    CREDIT_OFFICER = "credit_officer"
    SALES = "sales"
    RISK_ADMIN = "risk_admin"


@dataclass(frozen=True)
class Caller:
    """The authenticated client of a request."""

    name: str
    role: Role


class TokenError(ValueError):
    """A token cannot be created or revoked as asked."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(connection: Connection, name: str, role: Role | str) -> str:
    """Create a token for ``name`` with ``role`` and return it (the only time it is visible)."""
    try:
        role = Role(role)
    except ValueError as exc:
        allowed = ", ".join(r.value for r in Role)
        raise TokenError(f"role must be one of {allowed}; got {role!r}") from exc
    name = name.strip()
    if not name or len(name) > 100:
        raise TokenError("name must be 1 to 100 characters")
    existing = connection.execute(
        select(tables.api_tokens.c.token_id).where(tables.api_tokens.c.name == name)
    ).first()
    if existing is not None:
        raise TokenError(f"a token named {name!r} exists already; revoke it or pick another name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    connection.execute(
        tables.api_tokens.insert().values(name=name, role=role.value, token_hash=hash_token(token))
    )
    return token


def revoke_token(connection: Connection, name: str) -> None:
    """Revoke the token named ``name``; it stops working at once."""
    result = connection.execute(
        update(tables.api_tokens)
        .where(tables.api_tokens.c.name == name, tables.api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    if result.rowcount == 0:
        raise TokenError(f"no active token named {name!r}")


def list_tokens(connection: Connection) -> list[dict]:
    """Names, roles and dates of all tokens (never the tokens themselves)."""
    t = tables.api_tokens
    rows = connection.execute(
        select(t.c.name, t.c.role, t.c.created_at, t.c.revoked_at).order_by(t.c.name)
    )
    return [dict(row._mapping) for row in rows]


def authenticate(connection: Connection, token: str) -> Caller | None:
    """The caller a presented token belongs to, or None if it is unknown or revoked."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = connection.execute(_ACTIVE_TOKEN, {"token_hash": hash_token(token)}).first()
    return None if row is None else Caller(name=row.name, role=Role(row.role))


# Built once: every request authenticates, and building the statement cost more than running it.
_ACTIVE_TOKEN = select(tables.api_tokens.c.name, tables.api_tokens.c.role).where(
    tables.api_tokens.c.token_hash == bindparam("token_hash"),
    tables.api_tokens.c.revoked_at.is_(None),
)
