"""``runstore results``: list, show and remove cached results."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from runstore.cli._common import (
    EXIT_ERROR,
    ConfigOption,
    JsonOption,
    UrlOption,
    console,
    err_console,
    exit_on_error,
    open_store,
    print_json,
)
from runstore.errors import NotFound
from runstore.models.results import ResultRecord

app = typer.Typer(help="Cached task results and failures.", no_args_is_help=True)


def _summary(record: ResultRecord) -> dict[str, Any]:
    return record.model_dump(mode="json")


@app.command("ls")
def list_results(
    prefix: Annotated[str | None, typer.Argument(help="Only keys starting with this.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="At most this many.")] = 100,
    url: UrlOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """List results sorted by key (status, serializer, size, where the value lives)."""
    with exit_on_error(), open_store(url, config) as store:
        page = store.results.query(prefix=prefix, limit=limit)
    if as_json:
        print_json([_summary(r) for r in page.items])
        return
    table = Table("key", "status", "serializer", "size", "stored", "created")
    for r in page.items:
        where = f"artifact {r.artifact.sha256[:12]}" if r.artifact else "inline"
        table.add_row(r.key, r.status.value, r.serializer or "-", str(r.size),
                      where if r.ok else "-", r.created_at.strftime("%Y-%m-%d %H:%M:%S"))
    console.print(table)
    if page.next_cursor:
        console.print(f"(more after {page.next_cursor!r}; use --limit)")


@app.command("show")
def show_result(
    key: Annotated[str, typer.Argument(help="Result key.")],
    url: UrlOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one result: its record, and its value when it is JSON (or its error)."""
    with exit_on_error(), open_store(url, config) as store:
        record = store.results.get_record(key)
        if record is None:
            raise NotFound("result", key)
        value: Any = None
        shown = record.ok and record.serializer == "json"
        if shown:
            value = record.value
    body = _summary(record)
    if shown:
        body["value"] = value
    if as_json:
        print_json(body)
        return
    console.print(f"[bold]{record.key}[/bold] {record.status.value}"
                  f" ({record.serializer or 'no value'}, {record.size} bytes)", highlight=False)
    if record.error:
        console.print(f"{record.error.type}: {record.error.message}", highlight=False)
        if record.error.traceback:
            console.print(record.error.traceback, highlight=False)
    if record.artifact:
        console.print(f"value in artifact sha256:{record.artifact.sha256}")
    if record.metadata:
        console.print_json(data=record.metadata)
    if shown:
        console.print_json(data=value)


@app.command("rm")
def remove_results(
    keys: Annotated[list[str] | None, typer.Argument(help="Keys to remove.")] = None,
    all_results: Annotated[bool, typer.Option("--all", help="Remove every result.")] = False,
    url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Remove results by key, or all of them with --all."""
    if not keys and not all_results:
        err_console.print("[red]error:[/red] give keys to remove, or --all")
        raise typer.Exit(EXIT_ERROR)
    with exit_on_error(), open_store(url, config) as store:
        if all_results:
            store.results.clear()
            console.print("removed every result")
            return
        missing = []
        for key in keys or []:
            try:
                store.results.delete(key)
                console.print(f"removed {key}", highlight=False)
            except NotFound:
                missing.append(key)
        if missing:
            raise NotFound("result", missing[0], f"not found: {', '.join(missing)}")


__all__ = ["app"]
