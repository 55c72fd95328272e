"""``runstore prune`` and ``runstore gc``: bounded history, and blobs nothing refers to."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Column, Table

import runstore
from runstore.cli._common import (
    ConfigOption,
    JsonOption,
    console,
    exit_on_error,
    open_store,
    print_json,
)
from runstore.cli._progress import progress_bars
from runstore.errors import InvalidInput
from runstore.registry.config import load_config
from runstore.services.gc import GcReport
from runstore.services.retention import PruneReport, RetentionPolicy

UrlArgument = Annotated[
    str | None,
    typer.Argument(envvar="RUNSTORE_URL", show_envvar=False,
                   help="Store URL (default: $RUNSTORE_URL, else the embedded SQLite store)."),
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Report what would go; change nothing.")]
_SHOWN = 20


def _policy(config: runstore.StoreConfig | None, **flags: Any) -> RetentionPolicy:
    """The config's ``retention:`` section, with the command-line flags given on top."""
    base = config.retention if config is not None else None
    values: dict[str, Any] = {} if base is None else {
        name: getattr(base, name) for name in RetentionPolicy.model_fields
        if name in base.model_fields_set}
    values.update({name: value for name, value in flags.items() if value is not None})
    if not {"older_than", "keep_last", "keep_failed_for"} & values.keys():
        raise InvalidInput("say what to prune: --older-than, --keep-last or --keep-failed-for "
                           "(or a retention: section in the --config file)")
    return RetentionPolicy(**values)


def prune(
    url: UrlArgument = None,
    older_than: Annotated[str | None, typer.Option(
        "--older-than", help="Prune finished runs older than this (30d, 12h, 2w).")] = None,
    keep_last: Annotated[int | None, typer.Option(
        "--keep-last", help="Always keep the newest N finished runs of each workflow.")] = None,
    keep_failed_for: Annotated[str | None, typer.Option(
        "--keep-failed-for", help="Keep failed runs this long (90d), then prune them.")] = None,
    archive_to: Annotated[str | None, typer.Option(
        "--archive-to", help="Copy and verify the runs in this store before deleting.")] = None,
    dry_run: DryRun = False,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Delete finished runs with their tasks, attempts, logs and conversations."""
    with exit_on_error():
        settings = load_config(config) if config else None
        policy = _policy(settings, older_than=older_than, keep_last=keep_last,
                         keep_failed_for=keep_failed_for, archive_to=archive_to,
                         dry_run=dry_run or None)
        with open_store(url, config) as store, progress_bars(enabled=not as_json) as bars:
            report = runstore.prune(store, policy, progress=bars)
    if as_json:
        print_json(_prune_json(report))
    else:
        _print_prune(report)


def _prune_json(report: PruneReport) -> dict[str, Any]:
    return {
        "dry_run": report.dry_run, "pruned": len(report.candidates), "kept": report.kept,
        "active": report.active, "counts": report.counts, "archived_to": report.archived_to,
        "archived": report.archived,
        "runs": [{"id": c.run_id, "workflow_id": c.workflow_id, "status": c.status.value,
                  "finished_at": c.finished_at} for c in report.candidates],
    }


def _print_prune(report: PruneReport) -> None:
    verb = "would prune" if report.dry_run else "pruned"
    if report.candidates:
        runs = Table("workflow", "status", "finished (UTC)",
                     title=f"{verb} {len(report.candidates):,} runs (oldest first)")
        runs.columns.insert(0, Column("run", no_wrap=True, min_width=28))
        for candidate in report.candidates[:_SHOWN]:
            runs.add_row(candidate.run_id, candidate.workflow_id, candidate.status.value,
                         candidate.finished_at.strftime("%Y-%m-%d %H:%M"))
        console.print(runs)
        if len(report.candidates) > _SHOWN:
            console.print(f"... and {len(report.candidates) - _SHOWN:,} more (--json lists all)")
    for title, counts in (("would delete" if report.dry_run else "deleted", report.counts),
                          ("archived and verified", report.archived)):
        if counts:
            totals = Table("records", "count", title=title)
            for name, count in counts.items():
                totals.add_row(name, f"{count:,}")
            console.print(totals)
    where = f"; archived and verified in {report.archived_to}" \
        if report.archived_to and not report.dry_run else ""
    console.print(f"{verb} {len(report.candidates):,} runs, kept {report.kept:,} finished, "
                  f"{report.active:,} not finished{where}", highlight=False)


def gc(url: UrlArgument = None, dry_run: DryRun = False,
       grace: Annotated[str, typer.Option(
           help="Keep blobs stored within this long (a writer stores a blob before the "
                "record that refers to it), e.g. 1h, 30m, 0s.")] = "1h",
       config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Delete the blobs no result and no conversation attachment refers to."""
    with exit_on_error(), open_store(url, config) as store, \
            progress_bars(enabled=not as_json) as bars:
        report = runstore.gc(store, grace=grace, dry_run=dry_run, progress=bars)
    if as_json:
        print_json(_gc_json(report))
        return
    verb = "would remove" if report.dry_run else "removed"
    table = Table("blobs", "count", "bytes")
    table.add_row("scanned", f"{report.scanned:,}", "")
    table.add_row("referenced (kept)", f"{report.kept:,}", "")
    table.add_row(f"stored within {grace} (kept)", f"{report.recent:,}", "")
    table.add_row(verb, f"{len(report.removed):,}", f"{report.freed_bytes:,}")
    console.print(table)


def _gc_json(report: GcReport) -> dict[str, Any]:
    return {"dry_run": report.dry_run, "scanned": report.scanned, "kept": report.kept,
            "recent": report.recent, "removed": [ref.sha256 for ref in report.removed],
            "freed_bytes": report.freed_bytes}
