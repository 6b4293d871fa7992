"""The ``arscore`` command line: one Typer app composed from the command modules."""

from __future__ import annotations

import typer

from arscore.commands import analysis, info, ledger_cmds, modelling, service

app = typer.Typer(
    name="arscore",
    help="Credit risk scoring for B2B accounts receivable.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

for module in (ledger_cmds, analysis, modelling, service, info):
    module.register(app)


if __name__ == "__main__":  # pragma: no cover
    app()
