"""Helpers shared by the web pages' tests: users per role and signing in through the form."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi.testclient import TestClient

from serving.users import create_user

PASSWORDS = {
    "credit_officer": "officer-password-1",
    "sales": "sales-password-12",
    "risk_admin": "admin-password-12",
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_users(engine, prefix: str = "") -> dict[str, str]:
    """A user per role (unique names), returned as role → name."""
    suffix = uuid.uuid4().hex[:6]
    names = {role: f"{prefix}{role.split('_')[0]}-{suffix}" for role in PASSWORDS}
    with engine.begin() as connection:
        for role, name in names.items():
            create_user(connection, name, role, PASSWORDS[role])
    return names


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, name: str, password: str) -> Any:
    """Open the sign-in form and send it, as a browser does (cookies kept by the client)."""
    form = client.get("/app/sign-in")
    return client.post(
        "/app/sign-in",
        data={"username": name, "password": password, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
