"""API tokens: shown once, stored hashed, revocable, roles checked."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from ledger import tables
from serving.auth import Role, TokenError, authenticate, create_token, list_tokens, revoke_token


def test_token_authenticates_its_caller_and_is_stored_only_hashed(engine: Engine) -> None:
    with engine.begin() as connection:
        token = create_token(connection, "alice", "credit_officer")
    with engine.connect() as connection:
        caller = authenticate(connection, token)
        stored = connection.execute(select(tables.api_tokens.c.token_hash)).scalar_one()
    assert caller is not None
    assert (caller.name, caller.role) == ("alice", Role.CREDIT_OFFICER)
    assert token not in stored
    assert len(stored) == 64


def test_unknown_and_malformed_tokens_are_rejected(engine: Engine) -> None:
    with engine.begin() as connection:
        token = create_token(connection, "bob", Role.SALES)
    with engine.connect() as connection:
        assert authenticate(connection, token + "x") is None
        assert authenticate(connection, "not-a-token") is None
        assert authenticate(connection, "ars_" + "a" * 300) is None


def test_revoked_token_stops_working(engine: Engine) -> None:
    with engine.begin() as connection:
        token = create_token(connection, "carol", Role.RISK_ADMIN)
        revoke_token(connection, "carol")
    with engine.connect() as connection:
        assert authenticate(connection, token) is None
        assert list_tokens(connection)[0]["revoked_at"] is not None
    with pytest.raises(TokenError, match="no active token named 'carol'"), engine.begin() as c:
        revoke_token(c, "carol")


def test_bad_role_and_duplicate_name_are_refused(engine: Engine) -> None:
    with pytest.raises(TokenError, match="role must be one of"), engine.begin() as connection:
        create_token(connection, "dave", "admin")
    with engine.begin() as connection:
        create_token(connection, "erin", Role.SALES)
    with pytest.raises(TokenError, match="exists already"), engine.begin() as connection:
        create_token(connection, "erin", Role.SALES)
