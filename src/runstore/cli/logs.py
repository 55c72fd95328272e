"""``runstore logs``: show a run's events (optionally following them) and query records."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from runstore.cli._common import (
    ConfigOption,
    JsonOption,
    UrlOption,
    console,
    exit_on_error,
    open_store,
    print_json,
)
from runstore.models.logs import LogEvent, LogRecord

app = typer.Typer(help="Append-only execution logs.", no_args_is_help=True)

_COLORS = {"debug": "dim", "info": "", "warning": "yellow", "error": "red", "critical": "bold red"}


def _print_event(event: LogEvent) -> None:
    color = _COLORS.get(event.level.value, "")
    level = f"[{color}]{event.level.value:<8}[/{color}]" if color else f"{event.level.value:<8}"
    where = " ".join(part for part in (event.task_id, event.kind) if part)
    data = f" {event.data}" if event.data else ""
    console.print(f"{event.seq:>6} {event.ts:%Y-%m-%d %H:%M:%S.%f} {level} "
                  f"{where + ' ' if where else ''}{event.message}{data}", highlight=False)


def _print_record(record: LogRecord) -> None:
    duration = f"{record.duration_s:.3f}s" if record.duration_s is not None else "-"
    console.print(f"[bold]{record.run_id}[/bold] {record.workflow_id} "
                  f"v{record.workflow_version or '-'} {record.status} started "
                  f"{record.started_at:%Y-%m-%d %H:%M:%S} duration {duration}", highlight=False)
    if record.error:
        console.print(f"[red]error:[/red] {record.error}", highlight=False)


@app.command("show")
def show(
    run_id: Annotated[str, typer.Argument(help="Run id.")],
    follow: Annotated[bool, typer.Option("--follow", "-f",
                                         help="Keep printing new events until Ctrl-C.")] = False,
    interval: Annotated[float, typer.Option("--interval", min=0.05,
                                            help="Seconds between polls with --follow.")] = 1.0,
    url: UrlOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print a run's log record and its events in order; --follow polls for new ones."""
    with exit_on_error(), open_store(url, config) as store:
        if not follow:
            log = store.logs.get_log(run_id)
            if as_json:
                print_json(log.model_dump(mode="json"))
                return
            if log.record is not None:
                _print_record(log.record)
            for event in log.events:
                _print_event(event)
            return
        last = 0
        try:
            while True:
                for event in store.logs.iter_events(run_id, after_seq=last):
                    if as_json:
                        print_json(event.model_dump(mode="json"))
                    else:
                        _print_event(event)
                    last = event.seq or last
                time.sleep(interval)
        except KeyboardInterrupt:
            return


@app.command("query")
def query(
    workflow: Annotated[str | None, typer.Option("--workflow", "-w")] = None,
    version: Annotated[int | None, typer.Option("--version", "-v")] = None,
    status: Annotated[list[str] | None, typer.Option("--status", "-s",
                                                     help="Repeat for several.")] = None,
    since: Annotated[datetime | None, typer.Option("--since", help="Started at or after.")]
    = None,
    until: Annotated[datetime | None, typer.Option("--until", help="Started before.")] = None,
    level: Annotated[str | None, typer.Option("--level", help="Has an event at this level "
                                              "or above.")] = None,
    error: Annotated[str | None, typer.Option("--error", help="Text in the error.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000)] = 20,
    cursor: Annotated[str | None, typer.Option("--cursor", help="next_cursor of a page.")]
    = None,
    url: UrlOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """List log records, newest first, with typed filters."""
    with exit_on_error(), open_store(url, config) as store:
        page = store.logs.query({
            "workflow_id": workflow, "workflow_version": version, "status": status or None,
            "started_after": since, "started_before": until, "level": level,
            "error_contains": error, "limit": limit, "cursor": cursor})
    if as_json:
        print_json({"items": [r.model_dump(mode="json") for r in page.items],
                    "next_cursor": page.next_cursor})
        return
    table = Table("run", "workflow", "version", "status", "started", "duration", "error")
    for r in page.items:
        table.add_row(r.run_id, r.workflow_id, str(r.workflow_version or ""), r.status,
                      r.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                      f"{r.duration_s:.3f}s" if r.duration_s is not None else "",
                      (r.error or "")[:60])
    console.print(table)
    if page.next_cursor:
        console.print(f"more: --cursor {page.next_cursor}", highlight=False)
