"""Users of the web pages: created, disabled and listed by ``arscore user``; passwords kept only
as argon2id hashes (argon2-cffi's defaults, RFC 9106's recommended parameters).

A user signs in with name and password and acts as a :class:`serving.auth.Caller` with the same
three roles as API tokens, so every decision a page makes is audited like its API twin.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, bindparam, func, insert, select, update

from ledger import tables
from serving.auth import Caller, Role

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
NAME_PATTERN_HELP = "1 to 100 characters, no spaces"

_hasher = PasswordHasher()
# Verifying against this when the user is unknown costs what a real check costs, so the time a
# sign-in takes does not tell which user names exist.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class UserError(ValueError):
    """A user cannot be created or disabled as asked."""


class SignInOutcome(StrEnum):
    """What a sign-in event records."""

    SIGNED_IN = "signed_in"
    WRONG_PASSWORD = "wrong_password"  # or an unknown or disabled user: one answer for all
    SIGNED_OUT = "signed_out"


def record_sign_in(
    connection: Connection, user_name: str, address: str, outcome: SignInOutcome
) -> None:
    """Write a sign-in event (the name as typed for a failed attempt, cut to the column)."""
    connection.execute(
        insert(tables.sign_in_events).values(
            user_name=user_name[:200], address=address[:64], outcome=outcome.value
        )
    )


def sign_in_events(connection: Connection, limit: int = 50) -> list[dict]:
    """The latest sign-in events, newest first."""
    e = tables.sign_in_events
    rows = connection.execute(
        select(e.c.at, e.c.user_name, e.c.address, e.c.outcome)
        .order_by(e.c.event_id.desc())
        .limit(limit)
    )
    return [dict(row._mapping) for row in rows]


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100 or any(c.isspace() or not c.isprintable() for c in name):
        raise UserError(f"user name must be {NAME_PATTERN_HELP}; got {name!r}")
    return name


def check_password(password: str) -> None:
    """Refuse passwords too short to resist guessing, or longer than a form should carry."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"password must be at most {MAX_PASSWORD_LENGTH} characters")


def create_user(connection: Connection, name: str, role: Role | str, password: str) -> None:
    """Create an active user ``name`` with ``role``; the password is stored hashed."""
    try:
        role = Role(role)
    except ValueError as exc:
        allowed = ", ".join(r.value for r in Role)
        raise UserError(f"role must be one of {allowed}; got {role!r}") from exc
    name = _check_name(name)
    check_password(password)
    u = tables.users
    if connection.execute(select(u.c.user_id).where(u.c.name == name)).first() is not None:
        raise UserError(f"a user named {name!r} exists already; disable it or pick another name")
    connection.execute(
        u.insert().values(name=name, role=role.value, password_hash=_hasher.hash(password))
    )


def reset_user(connection: Connection, name: str, role: Role | str, password: str) -> None:
    """Create ``name``, or give the existing user ``role``, this password and enable it again
    (``arscore serve --demo`` prints fresh passwords for its demo users on every start)."""
    u = tables.users
    if connection.execute(select(u.c.user_id).where(u.c.name == name)).first() is None:
        create_user(connection, name, role, password)
        return
    check_password(password)
    connection.execute(
        update(u)
        .where(u.c.name == name)
        .values(role=Role(role).value, password_hash=_hasher.hash(password), disabled_at=None)
    )


def disable_user(connection: Connection, name: str) -> None:
    """Disable ``name``: no more sign-ins, and open sessions end at their next request."""
    u = tables.users
    result = connection.execute(
        update(u)
        .where(u.c.name == name, u.c.disabled_at.is_(None))
        .values(disabled_at=datetime.now(UTC))
    )
    if result.rowcount == 0:
        raise UserError(f"no active user named {name!r}")


def list_users(connection: Connection) -> list[dict]:
    """Names, roles and dates of all users, with their last sign-in (never the hashes)."""
    u, e = tables.users, tables.sign_in_events
    last = (
        select(e.c.user_name, func.max(e.c.at).label("last_sign_in"))
        .where(e.c.outcome == SignInOutcome.SIGNED_IN.value)
        .group_by(e.c.user_name)
        .subquery()
    )
    rows = connection.execute(
        select(u.c.name, u.c.role, u.c.created_at, u.c.disabled_at, last.c.last_sign_in)
        .outerjoin(last, last.c.user_name == u.c.name)
        .order_by(u.c.name)
    )
    return [dict(row._mapping) for row in rows]


def verify_user(connection: Connection, name: str, password: str) -> Caller | None:
    """The caller ``name`` signs in as, or None for an unknown or disabled user or a wrong
    password (the same answer, in about the same time, for all three)."""
    row = None
    if 0 < len(name) <= 100 and len(password) <= MAX_PASSWORD_LENGTH:
        row = connection.execute(_ACTIVE_USER, {"name": name}).first()
    try:
        _hasher.verify(_DUMMY_HASH if row is None else row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return None if row is None else Caller(name=row.name, role=Role(row.role))


def active_user(connection: Connection, name: str) -> Caller | None:
    """The active user ``name`` as a caller (each page request checks its session's user is
    still active, so disabling a user ends its sessions)."""
    row = connection.execute(_ACTIVE_USER, {"name": name}).first()
    return None if row is None else Caller(name=row.name, role=Role(row.role))


_ACTIVE_USER = select(tables.users.c.name, tables.users.c.role, tables.users.c.password_hash).where(
    tables.users.c.name == bindparam("name"), tables.users.c.disabled_at.is_(None)
)
