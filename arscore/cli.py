"""The ``arscore`` command line: one Typer app composed from the command modules."""

from __future__ import annotations

from typing import Annotated

import typer

from arscore.commands import analysis, info, ledger_cmds, modelling, service, users
from arscore.logs import configure_logging

app = typer.Typer(
    name="arscore",
    help="Credit risk scoring for B2B accounts receivable.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main(
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Also show the libraries' log messages (MLflow, Alembic …), with time and source",
        ),
    ] = False,
) -> None:
    """Credit risk scoring for B2B accounts receivable."""
    configure_logging(verbose)


for module in (ledger_cmds, analysis, modelling, service, users, info):
    module.register(app)


if __name__ == "__main__":  # pragma: no cover
    app()
