"""``arscore user``: people who sign in to the web pages (create, disable, list)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import Engine

from arscore.runtime import console, fail, load_settings, open_database

user_app = typer.Typer(
    help="Users of the web pages (sign-in with a password).", no_args_is_help=True
)


@user_app.command("create")
def user_create(
    name: Annotated[str, typer.Argument(help="User name to sign in with (unique, no spaces)")],
    role: Annotated[str, typer.Option(help="credit_officer, sales or risk_admin")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Create a user; the password is prompted for (or read from stdin) and stored hashed."""
    from serving.users import UserError, check_password, create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        check_password(password)
    except UserError as exc:
        raise fail(str(exc), code=2) from exc
    engine = open_database(load_settings())
    try:
        with engine.begin() as connection:
            create_user(connection, name, role, password)
    except UserError as exc:
        raise fail(str(exc), code=2) from exc
    console.print(f"Created the user [bold]{name}[/] ({role}).")


@user_app.command("disable")
def user_disable(name: Annotated[str, typer.Argument(help="User to disable")]) -> None:
    """Disable a user: no more sign-ins, and open sessions end at their next page."""
    from serving.users import UserError, disable_user

    engine = open_database(load_settings())
    try:
        with engine.begin() as connection:
            disable_user(connection, name)
    except UserError as exc:
        raise fail(str(exc), code=2) from exc
    console.print(f"Disabled the user {name!r}.")


@user_app.command("list")
def user_list() -> None:
    """List users, roles and dates (never the password hashes)."""
    from serving.users import list_users

    engine = open_database(load_settings())
    with engine.connect() as connection:
        rows = list_users(connection)
    table = Table(title="Users")
    for column in ("name", "role", "created", "disabled", "last sign-in"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["name"],
            row["role"],
            str(row["created_at"])[:19],
            "" if row["disabled_at"] is None else str(row["disabled_at"])[:19],
            "" if row["last_sign_in"] is None else str(row["last_sign_in"])[:19],
        )
    console.print(table)


DEMO_USERS = {"credit_officer": "demo-officer", "sales": "demo-sales", "risk_admin": "demo-admin"}


def print_demo_users(engine: Engine, url: str) -> None:
    """A user per role with a fresh password, printed with the pages' address (demo only)."""
    import secrets

    from serving.users import reset_user

    passwords = {role: secrets.token_urlsafe(12) for role in DEMO_USERS}
    with engine.begin() as connection:
        for role, name in DEMO_USERS.items():
            reset_user(connection, name, role, passwords[role])
    console.print(f"Web pages: {url}/app/sign-in — demo users (passwords new on every start):")
    for role, name in DEMO_USERS.items():
        console.print(
            f"  {role:<15} username {name:<13} password {passwords[role]}",
            soft_wrap=True,
            highlight=False,
            markup=False,
        )


def register(app: typer.Typer) -> None:
    """Add the user commands to the CLI."""
    app.add_typer(user_app, name="user")
