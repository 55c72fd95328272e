"""The ``runstore`` command: a thin layer over services and ports."""

from __future__ import annotations

import typer

from runstore.cli import artifacts as artifacts_cli
from runstore.cli import conversations as conversations_cli
from runstore.cli import demo, doctor, retention, store, transfer, workflows
from runstore.cli import logs as logs_cli
from runstore.cli import metrics as metrics_cli
from runstore.cli import results as results_cli
from runstore.cli import runs as runs_cli

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
app.command("prune")(retention.prune)
app.command("gc")(retention.gc)
app.add_typer(workflows.app, name="workflows")
app.add_typer(runs_cli.app, name="runs")
app.add_typer(results_cli.app, name="results")
app.add_typer(artifacts_cli.app, name="artifacts")
app.add_typer(conversations_cli.app, name="conversations")
app.add_typer(logs_cli.app, name="logs")
app.add_typer(metrics_cli.app, name="metrics")


def main() -> None:
    """Entry point of the ``runstore`` script."""
    app()
