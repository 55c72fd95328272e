"""``runstore doctor``: check a store for damage, and quarantine what cannot be read."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

import runstore
from runstore.cli._common import EXIT_ERROR, JsonOption, console, exit_on_error, print_json


def doctor(
    url: Annotated[str, typer.Argument(help="Store URL to check.")],
    repair: Annotated[bool, typer.Option(
        "--repair", help="Move damaged files and blobs to quarantine (nothing is deleted); "
                         "damaged log files keep their good lines.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Check integrity: files, rows and blobs; exit 0 only when the store is healthy.

    Without --repair nothing is changed. With it, exit 1 still reports what was found
    (and repaired): run doctor again to see the store as it is now.
    """
    with exit_on_error():
        report = runstore.doctor(url, repair=repair)
    if as_json:
        print_json({"url": report.url, "healthy": report.healthy, "repaired": report.repaired,
                    "blobs_checked": report.blobs_checked,
                    "findings": [{"location": f.location, "problem": f.problem, "lost": f.lost,
                                  "action": f.action} for f in report.findings]})
    elif report.healthy:
        console.print(f"[green]healthy[/green]: {report.url} "
                      f"({report.blobs_checked} blobs verified)", highlight=False)
    else:
        table = Table("where", "problem", "lost", "action", title=f"problems in {report.url}",
                      caption=f"problems found: {len(report.findings)}; "
                              f"blobs verified: {report.blobs_checked}",
                      show_lines=True)
        for finding in report.findings:
            table.add_row(finding.location, finding.problem, finding.lost or "-",
                          finding.action or ("-" if repair else "run with --repair"))
        console.print(table)
    if not report.healthy:
        raise typer.Exit(EXIT_ERROR)
