"""A rich progress display with one bar per record type, fed by service callbacks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from runstore.cli._common import err_console
from runstore.services.transfer import Progress as ProgressCallback

__all__ = ["progress_bars"]


@contextmanager
def progress_bars(*, enabled: bool = True) -> Iterator[ProgressCallback]:
    """Yield a callback ``(name, advanced, total)`` that draws a bar per name on stderr."""
    bars = Progress(TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console, disable=not enabled)
    tasks: dict[str, TaskID] = {}

    def advance(name: str, done: int, total: int | None) -> None:
        if name not in tasks:
            tasks[name] = bars.add_task(name, total=total)
        bars.advance(tasks[name], done)

    with bars:
        yield advance
