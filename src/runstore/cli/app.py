"""The ``runstore`` command: a thin layer over services and ports."""

from __future__ import annotations

import typer

from runstore.cli import demo, doctor, store, transfer, workflows

app = typer.Typer(
    name="runstore",
    help="One typed storage layer for workflow, pipeline and agent runtimes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("info")(store.info)
app.command("upgrade")(store.upgrade)
app.command("demo")(demo.demo)
app.command("copy")(transfer.copy)
app.command("verify")(transfer.verify)
app.command("export")(transfer.export)
app.command("doctor")(doctor.doctor)
app.add_typer(workflows.app, name="workflows")


def main() -> None:
    """Entry point of the ``runstore`` script."""
    app()
