"""Feature and aging commands (filled by the features work)."""

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the CLI."""
