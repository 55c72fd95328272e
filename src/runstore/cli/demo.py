"""``runstore demo``: a tour of runstore on a real store."""

from __future__ import annotations

from rich.progress import Progress

from runstore.cli._common import ConfigOption, UrlOption, console, exit_on_error, open_store
from runstore.services.demo import STEPS


def demo(url: UrlOption = None, config: ConfigOption = None) -> None:
    """Run the demo on the store (by default the embedded SQLite store) and say what it did."""
    report: list[tuple[str, list[str]]] = []
    with exit_on_error(), open_store(url, config) as store:
        console.print(f"runstore demo on [bold]{store.url}[/bold]")
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("demo", total=len(STEPS))
            for step in STEPS:
                progress.update(task, description=step.title)
                report.append((step.title, step.run(store)))
                progress.advance(task)
    for title, lines in report:
        console.print(f"[bold green]✓[/bold green] {title}")
        for line in lines:
            console.print(f"    {line}", highlight=False)
    console.print("done. Try: runstore info, runstore workflows ls")
