"""Copying a store: 1,000,000 log events over 1,000 runs, SQLite -> PostgreSQL.

    python -m benchmarks.copy                          # the size of issue 7
    python -m benchmarks.copy --events 20000 --runs 20 # a quick look

The SQLite source gets ``--events`` small events (60-character message, 5-key data)
spread over ``--runs`` runs, each with a log record. A fresh process then runs
``runstore.copy`` into a scratch PostgreSQL database (a second SQLite file with
``--postgres none`` or when no server answers) and reports events/s and its peak
resident memory (target: under 200 MB whatever the size, since every record type is
streamed in batches). ``--verify`` also compares both stores afterwards.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

import runstore
from benchmarks._common import postgres_database
from benchmarks.logs import T0, events, peak_rss_mb

ROOT = Path(__file__).resolve().parents[1]


def fill(url: str, total: int, runs: int, batch: int) -> int:
    """``total`` events over ``runs`` runs (and one log record each); returns the count."""
    per_run = max(1, total // runs)
    with runstore.open(url) as store:
        for n in range(runs):
            run = f"run-{n:06d}"
            for start in range(0, per_run, batch):
                store.logs.append(run, events(min(batch, per_run - start), start))
            store.logs.store_log({"run_id": run, "workflow_id": f"wf-{n % 10}",
                                  "status": "succeeded", "started_at": T0})
    return per_run * runs


def copy_child(source: str, destination: str, batch_size: int, check: bool) -> None:
    """Run in a fresh process: copy, then print what was copied, the time and peak RSS."""
    with runstore.open(source) as src, runstore.open(destination) as dst:
        baseline = peak_rss_mb()
        started = time.perf_counter()
        report = runstore.copy(src, dst, batch_size=batch_size)
        seconds = time.perf_counter() - started
        peak = peak_rss_mb()
        identical = None
        verify_seconds = None
        if check:
            started = time.perf_counter()
            identical = runstore.verify(src, dst, batch_size=batch_size).identical
            verify_seconds = time.perf_counter() - started
    print(orjson.dumps({"events": report.written.get("logs.log_events", 0),
                        "written": sum(report.written.values()), "seconds": seconds,
                        "baseline_mb": baseline, "peak_mb": peak, "identical": identical,
                        "verify_seconds": verify_seconds}).decode())


def measure(source: str, destination: str, batch_size: int, check: bool) -> dict[str, object]:
    command = [sys.executable, "-m", "benchmarks.copy", "--copy-child", source, destination,
               str(batch_size)] + (["--check"] if check else [])
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"the copying process failed:\n{out.stderr}")
    result: dict[str, object] = orjson.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1_000)
    parser.add_argument("--batch-size", type=int, default=1_000, help="records per batch")
    parser.add_argument("--verify", action="store_true", help="compare both stores after")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="admin URL for a scratch database ('none' for SQLite)")
    parser.add_argument("--copy-child", nargs=3, metavar=("SRC", "DST", "BATCH"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--check", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.copy_child:
        source, destination, batch = args.copy_child
        copy_child(source, destination, int(batch), args.check)
        return
    work = Path(tempfile.mkdtemp(prefix="rs-bench-copy-"))
    try:
        source = f"sqlite:///{work / 'source.db'}"
        started = time.perf_counter()
        total = fill(source, args.events, args.runs, args.batch_size)
        print(f"filled SQLite with {total:,} events over {args.runs:,} runs "
              f"in {time.perf_counter() - started:.1f} s")
        with postgres_database(args.postgres) as pg_url:
            if pg_url is not None:
                name, target = "PostgreSQL", f"{pg_url}?artifacts=file://{work / 'pg-blobs'}"
            else:
                name, target = "SQLite", f"sqlite:///{work / 'target.db'}"
            result = measure(source, target, args.batch_size, args.verify)
        seconds = float(str(result["seconds"]))
        copied = int(str(result["events"]))
        print(f"SQLite -> {name}: copied {copied:,} events ({result['written']:,} records) "
              f"in {seconds:.1f} s: {copied / seconds:,.0f} events/s")
        print(f"copying process: peak RSS {float(str(result['peak_mb'])):.1f} MB "
              f"(after opening both stores {float(str(result['baseline_mb'])):.1f} MB; "
              "target < 200 MB)")
        if args.verify:
            print(f"verify: identical={result['identical']} in "
                  f"{float(str(result['verify_seconds'])):.1f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
