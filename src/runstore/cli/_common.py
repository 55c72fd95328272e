"""What every command shares: opening a store, reporting errors, JSON output."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console

import runstore
from runstore.errors import NotFound, RunstoreError
from runstore.store import Store

__all__ = [
    "EXIT_ERROR",
    "EXIT_NOT_FOUND",
    "ConfigOption",
    "JsonOption",
    "UrlOption",
    "console",
    "err_console",
    "exit_on_error",
    "open_store",
    "print_json",
]

console = Console()
err_console = Console(stderr=True)

EXIT_ERROR = 1
EXIT_NOT_FOUND = 3

UrlOption = Annotated[
    str | None,
    typer.Option("--url", "-u", envvar="RUNSTORE_URL", show_envvar=True,
                 help="Store URL (default: sqlite:///./.runstore/runstore.db)."),
]
ConfigOption = Annotated[
    str | None,
    typer.Option("--config", "-c", help="A runstore.yaml mapping repositories to URLs."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@contextmanager
def exit_on_error() -> Iterator[None]:
    """Print a runstore error in one line and exit non-zero (3 for not found, else 1)."""
    try:
        yield
    except NotFound as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(EXIT_NOT_FOUND) from exc
    except RunstoreError as exc:
        err_console.print(f"[red]error:[/red] {type(exc).__name__}: {exc}", highlight=False)
        raise typer.Exit(EXIT_ERROR) from exc


def open_store(url: str | None, config: str | None = None) -> Store:
    """Open the store named by ``--config`` or ``--url`` (or the default)."""
    if config:
        return runstore.open_config(config)
    return runstore.open(url)


def print_json(value: Any) -> None:
    """Write ``value`` as JSON to standard output (datetimes as ISO 8601)."""
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
                     .decode() + "\n")
