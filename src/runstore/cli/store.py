"""Store-wide commands: ``info`` and ``upgrade``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

import runstore
from runstore.cli._common import ConfigOption, JsonOption, console, exit_on_error, open_store
from runstore.cli._common import print_json as _print_json

UrlArgument = Annotated[
    str | None,
    typer.Argument(envvar="RUNSTORE_URL", help="Store URL (default: the embedded SQLite store)."),
]


def info(url: UrlArgument = None, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Show each backend, its schema version and its record counts."""
    with exit_on_error(), open_store(url, config) as store:
        summaries = store.info()
        capabilities = store.capabilities
    if as_json:
        _print_json([{"backend": s.backend, "url": s.url, "schema_version": s.schema_version,
                      "counts": s.counts} for s in summaries])
        return
    for summary in summaries:
        console.print(f"[bold]{summary.backend}[/bold] {summary.url}", highlight=False)
        table = Table()
        table.add_column("records")
        table.add_column("count", justify="right")
        for name, count in summary.counts.items():
            table.add_row(name, f"{count:,}")
        console.print(table)
        console.print(f"schema: {summary.schema_version or '-'}")
    flags = ", ".join(f"{k}={'yes' if v else 'no'}" for k, v in
                      (("transactions", capabilities.transactions),
                       ("savepoints", capabilities.savepoints),
                       ("multi_process", capabilities.multi_process),
                       ("durable", capabilities.durable)))
    console.print(f"capabilities: {flags}")


def upgrade(url: Annotated[str, typer.Argument(help="Store URL to upgrade in place.")]) -> None:
    """Upgrade a store's schema in place to this version of runstore."""
    with exit_on_error():
        before, after = runstore.upgrade(url)
    shown = runstore.StoreURL.parse(url)
    if before == after:
        console.print(f"{shown} is already at schema {after}")
    else:
        console.print(f"upgraded {shown} from {before or 'empty'} to {after}")
