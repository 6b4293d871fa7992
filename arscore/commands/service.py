"""Service commands: API tokens (and, with the scoring service, serve and rescore)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from arscore.runtime import console, fail, load_settings, open_database

token_app = typer.Typer(help="API tokens for the scoring service.", no_args_is_help=True)


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help="credit_officer, sales or risk_admin")],
    name: Annotated[str, typer.Option(help="Who or what uses the token (unique)")],
) -> None:
    """Create an API token. It is printed once and stored only as a hash."""
    from serving.auth import TokenError, create_token

    engine = open_database(load_settings())
    try:
        with engine.begin() as connection:
            token = create_token(connection, name, role)
    except TokenError as exc:
        raise fail(str(exc), code=2) from exc
    console.print(f"Token for [bold]{name}[/] ({role}) — shown once, store it now:")
    console.print(token, soft_wrap=True, highlight=False)


@token_app.command("revoke")
def token_revoke(name: Annotated[str, typer.Argument(help="Name of the token to revoke")]) -> None:
    """Revoke an API token; it stops working immediately."""
    from serving.auth import TokenError, revoke_token

    engine = open_database(load_settings())
    try:
        with engine.begin() as connection:
            revoke_token(connection, name)
    except TokenError as exc:
        raise fail(str(exc), code=2) from exc
    console.print(f"Revoked the token {name!r}.")


@token_app.command("list")
def token_list() -> None:
    """List token names, roles and dates (never the tokens)."""
    from serving.auth import list_tokens

    engine = open_database(load_settings())
    with engine.connect() as connection:
        rows = list_tokens(connection)
    table = Table(title="API tokens")
    for column in ("name", "role", "created", "revoked"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["name"],
            row["role"],
            str(row["created_at"])[:19],
            "" if row["revoked_at"] is None else str(row["revoked_at"])[:19],
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the service commands to the CLI."""
    app.add_typer(token_app, name="token")
