"""``runstore runs``: list runs, and show one run's tasks and attempts."""

from __future__ import annotations

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

app = typer.Typer(help="Runs, their tasks and attempts.", no_args_is_help=True)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


@app.command("ls")
def list_runs(
    workflow: Annotated[str | None, typer.Option("--workflow", "-w",
                                                 help="Only runs of this workflow.")] = None,
    status: Annotated[str | None, typer.Option("--status", "-s", help="Only this status.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="At most this many.")] = 50,
    url: UrlOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """List runs, newest first."""
    with exit_on_error(), open_store(url, config) as store:
        page = store.runs.list_runs(workflow_id=workflow, status=status, limit=limit)
    if as_json:
        print_json([run.model_dump(mode="json") for run in page.items])
        return
    table = Table("id", "workflow", "version", "status", "created", "finished", "reason")
    for run in page.items:
        table.add_row(run.id, run.workflow_id, str(run.workflow_version or ""),
                      run.status.value, _when(run.created_at), _when(run.finished_at),
                      run.status_reason or "")
    console.print(table)


@app.command("show")
def show_run(
    run_id: Annotated[str, typer.Argument(help="Run id.")],
    url: UrlOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a run with its tasks and every attempt."""
    with exit_on_error(), open_store(url, config) as store:
        run = store.runs.get_run(run_id)
        tasks = store.runs.get_tasks(run_id)
        attempts = {task.id: store.runs.list_attempts(task.id) for task in tasks}
    if as_json:
        print_json({"run": run.model_dump(mode="json"),
                    "tasks": [{**task.model_dump(mode="json"),
                               "attempts": [a.model_dump(mode="json")
                                            for a in attempts[task.id]]} for task in tasks]})
        return
    console.print(f"[bold]run {run.id}[/bold] of {run.workflow_id}"
                  f" v{run.workflow_version or '-'}: {run.status.value}"
                  + (f" ({run.status_reason})" if run.status_reason else ""), highlight=False)
    task_table = Table("task", "kind", "status", "depends on", "attempts", "started", "finished",
                       title="tasks")
    for task in tasks:
        task_table.add_row(task.name, task.kind, task.status.value, ", ".join(task.depends_on),
                           str(len(attempts[task.id])), _when(task.started_at),
                           _when(task.finished_at))
    console.print(task_table)
    attempt_table = Table("task", "#", "status", "worker", "executor", "external id", "error",
                          "finished", title="attempts")
    names = {task.id: task.name for task in tasks}
    for task_id, found in attempts.items():
        for a in found:
            attempt_table.add_row(names[task_id], str(a.number), a.status.value,
                                  a.worker_id or "", a.executor or "", a.external_id or "",
                                  (a.error or "")[:60], _when(a.finished_at))
    console.print(attempt_table)
