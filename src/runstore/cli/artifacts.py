"""``runstore artifacts``: list blobs and write one to standard output."""

from __future__ import annotations

import sys
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

app = typer.Typer(help="Content-addressed blobs (local folder, memory or S3).",
                  no_args_is_help=True)


@app.command("ls")
def list_artifacts(
    url: UrlOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """List every blob: sha256, size and media type."""
    with exit_on_error(), open_store(url, config) as store:
        location = store.artifacts.location
        refs = list(store.artifacts.iter_refs())
    if as_json:
        print_json([ref.model_dump(mode="json") for ref in refs])
        return
    table = Table("sha256", "size", "media type", title=location)
    for ref in refs:
        table.add_row(ref.sha256, str(ref.size), ref.media_type or "")
    console.print(table)


@app.command("cat")
def cat_artifact(
    sha256: Annotated[str, typer.Argument(help="The blob's sha256.")],
    url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Write a blob's bytes to standard output, streamed and checked against its hash."""
    out = sys.stdout.buffer
    with exit_on_error(), open_store(url, config) as store, \
            store.artifacts.open(sha256) as stream:
        while chunk := stream.read(1024 * 1024):
            out.write(chunk)
    out.flush()
