"""Signed session cookies for the web pages.

The cookie holds the user's name and role (or nothing, before sign-in) and the session's CSRF
token, signed with itsdangerous and stamped with its issue time: a changed cookie fails the
signature, and one older than ``session_minutes`` is expired. It is HttpOnly and SameSite=Lax
(and Secure over https). The signing key is made once per database (table ``web_secrets``), so
every worker and host sharing the database accepts the sessions the others signed.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from ledger import tables

COOKIE = "arscore_session"
_SALT = "arscore.web.session"


@dataclass(frozen=True)
class Session:
    """What a browser's cookie says: the CSRF token, and the user once signed in."""

    csrf: str
    user: str | None = None
    role: str | None = None

    @classmethod
    def anonymous(cls) -> Session:
        return cls(csrf=secrets.token_urlsafe(32))

    @classmethod
    def signed_in(cls, user: str, role: str) -> Session:
        """A new session (and a new CSRF token) at sign-in, so a token seen before sign-in
        is worth nothing after it."""
        return cls(csrf=secrets.token_urlsafe(32), user=user, role=role)


def signing_key(engine: Engine) -> str:
    """The database's session key, made on first use (the first writer wins a race)."""
    s = tables.web_secrets
    with engine.connect() as connection:
        found = connection.execute(select(s.c.secret).where(s.c.secret_id == 1)).scalar()
    if found is not None:
        return str(found)
    try:
        with engine.begin() as connection:
            connection.execute(s.insert().values(secret_id=1, secret=secrets.token_urlsafe(64)))
    except IntegrityError:
        pass  # another worker made it first: read theirs
    with engine.connect() as connection:
        return str(connection.execute(select(s.c.secret).where(s.c.secret_id == 1)).scalar_one())


def _issued_ago(seconds_ago: float) -> type[TimestampSigner]:
    """A signer that stamps cookies ``seconds_ago`` in the past (tests of expired sessions)."""

    class _Past(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - seconds_ago)

    return _Past


class SessionCodec:
    """Turns sessions into cookie values and back, refusing forged or expired ones."""

    def __init__(self, key: str, max_age_seconds: float) -> None:
        self._key = key
        self._serializer = URLSafeTimedSerializer(key, salt=_SALT)
        self.max_age_seconds = max_age_seconds

    def dumps(self, session: Session) -> str:
        return self._serializer.dumps([session.csrf, session.user, session.role])

    def dumps_issued_ago(self, session: Session, seconds_ago: float) -> str:
        """A cookie value issued ``seconds_ago``: how the tests make an expired session."""
        past = URLSafeTimedSerializer(self._key, salt=_SALT, signer=_issued_ago(seconds_ago))
        return past.dumps([session.csrf, session.user, session.role])

    def loads(self, value: str | None) -> tuple[Session | None, bool]:
        """The session in ``value`` and whether it was a signed-in session that expired
        (None for no cookie, a bad signature or an expired one)."""
        if not value or len(value) > 4096:
            return None, False
        try:
            data = self._serializer.loads(value, max_age=int(self.max_age_seconds))
        except SignatureExpired as exc:
            payload = exc.payload
            try:
                expired = self._serializer.load_payload(payload) if payload else None
            except BadSignature:
                expired = None
            was_user = isinstance(expired, list) and len(expired) == 3 and bool(expired[1])
            return None, was_user
        except BadSignature:
            return None, False
        if not (isinstance(data, list) and len(data) == 3 and isinstance(data[0], str)):
            return None, False
        csrf, user, role = data
        return Session(csrf=csrf, user=user, role=role), False
