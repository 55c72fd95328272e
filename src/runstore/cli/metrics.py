"""``runstore metrics``: a workflow's aggregates, with a duration histogram."""

from __future__ import annotations

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

app = typer.Typer(help="Aggregated execution metrics.", no_args_is_help=True)

_BAR_WIDTH = 40


def draw_histogram(buckets: list[tuple[str, int]]) -> list[str]:
    """Horizontal bars, one line per bucket, scaled to the largest count."""
    top = max((count for _, count in buckets), default=0) or 1
    return [f"{label:>14} {'█' * round(_BAR_WIDTH * count / top):<{_BAR_WIDTH}} {count}"
            for label, count in buckets]


@app.command("summary")
def summary(
    workflow_id: Annotated[str, typer.Argument(help="Workflow id.")],
    version: Annotated[int | None, typer.Option("--version", "-v",
                                                help="One version (default: all).")] = None,
    bucket: Annotated[str, typer.Option("--bucket", help="Trend bucket: day, week, month.")]
    = "day",
    url: UrlOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Counts, success rate, durations (p50/p95 within 1%), custom values, and a trend."""
    with exit_on_error(), open_store(url, config) as store:
        result = store.metrics.get_summary(workflow_id, version)
        trend = store.metrics.get_trend(workflow_id, version, bucket=bucket)
    if as_json:
        print_json({"summary": result.model_dump(mode="json"),
                    "trend": [b.model_dump(mode="json") for b in trend]})
        return
    table = Table("metric", "value", title=f"{workflow_id} "
                  f"{'all versions' if version is None else f'version {version}'}")
    table.add_row("executions", f"{result.count:,}")
    table.add_row("successes / failures", f"{result.successes:,} / {result.failures:,}")
    table.add_row("success rate", f"{result.success_rate:.1%}")
    for label, seconds in (("min", result.duration_min), ("mean", result.duration_mean),
                           ("p50", result.duration_p50), ("p95", result.duration_p95),
                           ("max", result.duration_max)):
        table.add_row(f"duration {label}", f"{seconds:.3f}s")
    for name, value in result.values.items():
        table.add_row(f"{name} (sum / mean)", f"{value.sum:,.4g} / {value.mean:,.4g}")
    console.print(table)
    if result.duration_histogram:
        console.print("duration histogram (seconds):")
        for line in draw_histogram([(f"{low:.3g}-{high:.3g}", count)
                                    for low, high, count in result.duration_histogram]):
            console.print(line, highlight=False)
    if trend:
        console.print(f"executions per {bucket}:")
        for line in draw_histogram([(b.start.strftime("%Y-%m-%d"), b.summary.count)
                                    for b in trend[-14:]]):
            console.print(line, highlight=False)
