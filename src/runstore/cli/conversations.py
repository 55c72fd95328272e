"""``runstore conversations``: import transcripts from JSON Lines, list and show them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from runstore.cli._common import (
    ConfigOption,
    JsonOption,
    UrlOption,
    console,
    err_console,
    exit_on_error,
    open_store,
    print_json,
)
from runstore.services.conversations import import_file

app = typer.Typer(help="Conversation transcripts: messages and attachments.",
                  no_args_is_help=True)


@app.command("import")
def import_conversations(
    file: Annotated[Path, typer.Argument(help="JSON Lines: one conversation per line.",
                                         exists=True, dir_okay=False, readable=True)],
    batch_size: Annotated[int, typer.Option("--batch-size", min=1,
                                            help="Conversations per transaction.")] = 100,
    url: UrlOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import FILE in one pass; importing the same file again changes nothing.

    Each line is a conversation with optional "messages" and "attachments" lists (see
    the README, "Conversations", for the format). Attachments carry their bytes as
    "data_base64", or refer to stored bytes by "sha256" and "size".
    """
    bar = Progress(TextColumn("importing {task.description}"), BarColumn(), DownloadColumn(),
                   TransferSpeedColumn(), TimeElapsedColumn(), console=err_console,
                   disable=as_json)
    with exit_on_error(), open_store(url, config) as store, bar:
        task = bar.add_task(file.name, total=file.stat().st_size)
        report = import_file(store, file, batch_size=batch_size,
                             progress=lambda done: bar.advance(task, done))
    if as_json:
        print_json({"conversations": report.conversations, "messages": report.messages,
                    "attachments": report.attachments, "changed": report.changed,
                    "skipped": report.skipped})
        return
    table = Table("records", "read", "changed")
    for name, read in (("conversations", report.conversations),
                       ("messages", report.messages), ("attachments", report.attachments)):
        table.add_row(name, f"{read:,}", f"{report.changed[name]:,}")
    console.print(table)
    if report.skipped:
        console.print(f"{report.skipped:,} conversations skipped: unchanged since their "
                      "line was last imported")


@app.command("ls")
def list_conversations(
    source: Annotated[str | None, typer.Option("--source", help="Only this source.")] = None,
    run_id: Annotated[str | None, typer.Option("--run", help="Only this run's.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
    cursor: Annotated[str | None, typer.Option("--cursor", help="A next_cursor.")] = None,
    url: UrlOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """List conversations, newest first."""
    with exit_on_error(), open_store(url, config) as store:
        page = store.conversations.list_conversations(source=source, run_id=run_id,
                                                      limit=limit, cursor=cursor)
    if as_json:
        print_json({"items": [c.model_dump(mode="json") for c in page.items],
                    "next_cursor": page.next_cursor})
        return
    table = Table("id", "source", "run", "created", "title")
    for c in page.items:
        table.add_row(c.id, c.source, c.run_id or "", c.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                      escape(c.title or ""))
    console.print(table)
    if page.next_cursor:
        console.print(f"more: --cursor {page.next_cursor}", highlight=False)


@app.command("show")
def show_conversation(
    conversation_id: Annotated[str, typer.Argument(help="Conversation id.")],
    url: UrlOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a conversation with its messages and attachments."""
    with exit_on_error(), open_store(url, config) as store:
        conversation = store.conversations.get_conversation(conversation_id)
        messages = store.conversations.get_messages(conversation_id)
        attachments = store.conversations.get_attachments(conversation_id)
    if as_json:
        print_json({**conversation.model_dump(mode="json"),
                    "messages": [m.model_dump(mode="json") for m in messages],
                    "attachments": [a.model_dump(mode="json") for a in attachments]})
        return
    console.print(f"[bold]{escape(conversation.title or conversation.id)}[/bold] "
                  f"({conversation.id}, {conversation.source}"
                  f"{', run ' + conversation.run_id if conversation.run_id else ''}) "
                  f"{conversation.created_at:%Y-%m-%d %H:%M:%S}")
    for message in messages:
        console.print(f"[cyan]{message.position:>4} {escape(message.role)}[/cyan] "
                      f"{escape(message.text)}", highlight=False)
    for a in attachments:
        console.print(f"[magenta]attachment[/magenta] {escape(a.name)} "
                      f"({a.media_type or 'unknown type'}, {a.size:,} bytes, "
                      f"sha256:{a.sha256[:12]})", highlight=False)
