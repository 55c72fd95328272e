"""``runstore workflows``: list, show and store workflow definitions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.syntax import Syntax
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
from runstore.errors import InvalidInput

app = typer.Typer(help="Versioned workflow definitions.", no_args_is_help=True)


@app.command("ls")
def list_workflows(
    workflow_id: Annotated[
        str | None, typer.Argument(help="List every version of this id.")
    ] = None,
    url: UrlOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the latest version of each workflow, or every version of one."""
    with exit_on_error(), open_store(url, config) as store:
        records = store.workflows.list(workflow_id) if workflow_id else store.workflows.list_all()
    if as_json:
        print_json([r.model_dump(mode="json", exclude={"definition"}) for r in records])
        return
    table = Table("id", "version", "parent", "hash", "created", "message")
    for r in records:
        table.add_row(r.id, str(r.version), str(r.parent_version or ""), r.content_hash[:12],
                      r.created_at.strftime("%Y-%m-%d %H:%M:%S"), r.message or "")
    console.print(table)


@app.command("show")
def show_workflow(
    workflow_id: Annotated[str, typer.Argument(help="Workflow id.")],
    version: Annotated[int | None, typer.Option("--version", "-v", help="Default: latest.")] = None,
    url: UrlOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one version of a workflow with its definition."""
    with exit_on_error(), open_store(url, config) as store:
        record = (store.workflows.get(workflow_id, version) if version
                  else store.workflows.get_latest(workflow_id))
    if as_json:
        print_json(record.model_dump(mode="json"))
        return
    console.print(f"[bold]{record.id}[/bold] version {record.version}"
                  f" (parent {record.parent_version or '-'}) sha256:{record.content_hash}")
    if record.message:
        console.print(record.message)
    console.print(Syntax(yaml.safe_dump(record.definition, sort_keys=False), "yaml"))


@app.command("put")
def put_workflow(
    workflow_id: Annotated[str, typer.Argument(help="Workflow id.")],
    file: Annotated[Path, typer.Argument(help="YAML (or JSON) file with the definition.",
                                         exists=True, dir_okay=False, readable=True)],
    message: Annotated[str | None, typer.Option("--message", "-m")] = None,
    parent: Annotated[int | None, typer.Option("--parent", help="Parent version.")] = None,
    url: UrlOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Store a definition read from a YAML file as the next version."""
    with exit_on_error():
        try:
            definition = yaml.safe_load(file.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise InvalidInput(f"{file} is not valid YAML: {exc}") from exc
        with open_store(url, config) as store:
            record = store.workflows.store(workflow_id, definition, message=message,
                                           parent_version=parent)
    if as_json:
        print_json(record.model_dump(mode="json", exclude={"definition"}))
    else:
        console.print(f"stored [bold]{record.id}[/bold] version {record.version}")
