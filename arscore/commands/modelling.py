"""Training and model-registry commands (filled by the models work)."""

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the CLI."""
