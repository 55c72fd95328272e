"""``runstore copy``, ``verify`` and ``export``: data mobility between any two stores."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

import runstore
from runstore.cli._common import EXIT_ERROR, JsonOption, console, exit_on_error, print_json
from runstore.cli._progress import progress_bars
from runstore.services import transfer
from runstore.services.export import export_store

Source = Annotated[str, typer.Argument(help="Source store URL.")]
Destination = Annotated[str, typer.Argument(help="Destination store URL.")]
Only = Annotated[str | None, typer.Option("--only", help="Comma-separated repositories.")]
BatchSize = Annotated[int, typer.Option("--batch-size", min=1, help="Records per batch.")]


def _print_verification(report: transfer.VerifyReport, as_json: bool) -> None:
    if as_json:
        return
    table = Table("record type", "source", "destination", "digest")
    right = {(d.repository, d.record_type): d for d in report.destination}
    for left in report.source:
        other = right.get((left.repository, left.record_type))
        same = other is not None and (other.count, other.digest) == (left.count, left.digest)
        table.add_row(f"{left.repository}.{left.record_type}", f"{left.count:,}",
                      f"{other.count:,}" if other else "-",
                      "[green]same[/green]" if same else "[red]differs[/red]")
    console.print(table)
    for difference in report.differences:
        console.print(f"[red]difference:[/red] {difference.describe()}", highlight=False)


def _verification_json(report: transfer.VerifyReport) -> dict[str, object]:
    return {
        "identical": report.identical,
        "differences": [d.describe() for d in report.differences],
        "source": {f"{d.repository}.{d.record_type}": [d.count, d.digest] for d in report.source},
        "destination": {f"{d.repository}.{d.record_type}": [d.count, d.digest]
                        for d in report.destination},
    }


VerifyFlag = Annotated[bool, typer.Option("--verify", help="Compare both stores after.")]


def copy(source: Source, destination: Destination, only: Only = None,
         verify: VerifyFlag = False, batch_size: BatchSize = 1000,
         as_json: JsonOption = False) -> None:
    """Copy every repository from SOURCE to DESTINATION (safe to re-run; resumes)."""
    repositories = only.split(",") if only else None
    with exit_on_error(), runstore.open(source) as src, runstore.open(destination) as dst, \
            progress_bars(enabled=not as_json) as bars:
        report = transfer.copy(src, dst, only=repositories, verify=verify,
                               batch_size=batch_size, progress=bars)
    if as_json:
        print_json({"read": report.read, "written": report.written, "skipped": report.skipped,
                    "verification": _verification_json(report.verification)
                    if report.verification else None})
    else:
        table = Table("record type", "read", "written")
        for name, count in report.read.items():
            table.add_row(name, f"{count:,}", f"{report.written[name]:,}")
        console.print(table)
        if report.verification is not None:
            _print_verification(report.verification, as_json)
    if report.verification is not None and not report.verification.identical:
        raise typer.Exit(EXIT_ERROR)


def verify(source: Source, destination: Destination, only: Only = None,
           as_json: JsonOption = False) -> None:
    """Compare counts and content digests of two stores; exit 1 on any difference."""
    repositories = only.split(",") if only else None
    with exit_on_error(), runstore.open(source) as src, runstore.open(destination) as dst:
        report = transfer.verify(src, dst, only=repositories)
    if as_json:
        print_json(_verification_json(report))
    else:
        _print_verification(report, as_json)
        console.print("[green]identical[/green]" if report.identical else "[red]different[/red]")
    if not report.identical:
        raise typer.Exit(EXIT_ERROR)


def export(source: Source,
           to: Annotated[Path, typer.Option("--to", help="A folder, or a FILE.duckdb.")],
           fmt: Annotated[str | None, typer.Option("--format", help="parquet or duckdb.")] = None,
           as_json: JsonOption = False) -> None:
    """Export one table per record type as Parquet files or a DuckDB database."""
    with exit_on_error(), runstore.open(source) as src, progress_bars(enabled=not as_json) as bars:
        written = export_store(src, to, format=fmt, progress=bars)
    if as_json:
        print_json(written)
        return
    table = Table("table", "rows")
    for name, count in written.items():
        table.add_row(name, f"{count:,}")
    console.print(table)
    console.print(f"written to {to}")
