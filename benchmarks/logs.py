"""Logs at driver speed: runstore against the raw driver, measured in the same run.

    python -m benchmarks.logs                      # the sizes of issue 4
    python -m benchmarks.logs --events 2000 --query-events 4000 --runs 40 \\
        --stream-events 5000                       # a quick look

1. Append ``--events`` small events (60-character message, 5-key data) in batches of
   ``--batch``: SQLite against plain ``sqlite3`` ``executemany`` (WAL, one transaction
   per batch), PostgreSQL against raw psycopg ``COPY`` (one transaction per batch).
2. With ``--query-events`` events over ``--runs`` runs: ``get_log`` of one run, and a
   ``query`` for the 50 newest failed runs of one workflow in a time range, against
   the same SQL by hand on the raw connection.
3. Streaming one run of ``--stream-events`` events with ``iter_events`` in a fresh
   process, reporting its peak resident memory.

Ratios above 1 mean runstore is slower. Rounds alternate raw and runstore; the best
round of each is kept (``--read-rounds`` for the reads, which are short). Before the
reads, the freshly loaded tables are settled as a running system soon would: vacuumed,
analyzed and checkpointed on PostgreSQL, the WAL checkpointed on SQLite.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

import runstore
from benchmarks._common import postgres_database

T0 = datetime(2025, 1, 1, tzinfo=UTC)
RAW_TABLE = ("CREATE TABLE raw_events (run_id VARCHAR(128), seq BIGINT, ts TIMESTAMP, "
             "level SMALLINT, message TEXT, data TEXT, task_id VARCHAR(128), "
             "attempt_id VARCHAR(128), kind VARCHAR(64), PRIMARY KEY (run_id, seq))")


def events(count: int, start: int = 0) -> list[dict[str, Any]]:
    """Small events: a 60-character message and 5-key data."""
    return [{"ts": T0 + timedelta(milliseconds=start + n), "level": "info",
             "message": f"task extract finished chunk {n:08d} of the nightly run ok",
             "data": {"rows": n, "chunk": "c-17", "ratio": 0.25, "ok": True, "worker": None}}
            for n in range(start, start + count)]


def best(rounds: int, *pairs: tuple[str, Callable[[], float]]) -> dict[str, float]:
    """Alternate the measurements ``rounds`` times; keep the best of each."""
    found: dict[str, list[float]] = {name: [] for name, _ in pairs}
    for _ in range(rounds):
        for name, measure in pairs:
            found[name].append(measure())
    return {name: min(times) for name, times in found.items()}


def report(title: str, raw: float, ours: float, unit: str, target: str) -> None:
    print(f"{title:<58} raw {raw * 1000:9.2f} ms  runstore {ours * 1000:9.2f} ms  "
          f"ratio {ours / raw:5.2f}x  ({unit}; target {target})")


# -- 1. appends ----------------------------------------------------------------------------


def raw_sqlite_append(path: Path, batch: list[list[dict[str, Any]]]) -> float:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(RAW_TABLE)
    started = time.perf_counter()
    seq = 0
    for chunk in batch:
        rows = []
        for event in chunk:
            seq += 1
            rows.append(("run-1", seq, event["ts"].isoformat(" ", "microseconds")[:26], 20,
                         event["message"], orjson.dumps(event["data"]).decode(), None, None,
                         None))
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO raw_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def raw_postgres_append(url: str, batch: list[list[dict[str, Any]]]) -> float:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        conn.execute("DROP TABLE IF EXISTS raw_events")
        conn.execute(RAW_TABLE)
        conn.commit()
        started = time.perf_counter()
        seq = 0
        for chunk in batch:
            with conn.cursor() as cursor, cursor.copy(
                    "COPY raw_events (run_id, seq, ts, level, message, data) FROM STDIN") as copy:
                for event in chunk:
                    seq += 1
                    copy.write_row(("run-1", seq, event["ts"].replace(tzinfo=None), 20,
                                    event["message"], orjson.dumps(event["data"]).decode()))
            conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE raw_events")
        conn.commit()
    return elapsed


def runstore_append(url: str, batch: list[list[dict[str, Any]]]) -> float:
    with runstore.open(url) as store:
        run = f"run-{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        for chunk in batch:
            store.logs.append(run, chunk)
        elapsed = time.perf_counter() - started
        store.logs.delete(run)
    return elapsed


# -- 2. reads ------------------------------------------------------------------------------


def fill(url: str, total: int, runs: int, batch: int) -> tuple[str, str, datetime, datetime]:
    """``total`` events over ``runs`` runs of 10 workflows; returns (a run, a workflow,
    and a time range that holds three quarters of that workflow's runs)."""
    per_run = max(1, total // runs)
    statuses = ["succeeded", "succeeded", "failed", "cancelled"]
    with runstore.open(url) as store:
        for n in range(runs):
            run = f"run-{n:06d}"
            for start in range(0, per_run, batch):
                store.logs.append(run, events(min(batch, per_run - start), start))
            started = T0 + timedelta(minutes=n)
            store.logs.store_log({
                "run_id": run, "workflow_id": f"wf-{n % 10}", "workflow_version": 1 + n % 3,
                "status": statuses[n % 4], "started_at": started,
                "finished_at": started + timedelta(seconds=30),
                "error": "KeyError: 'rows'" if n % 4 == 2 else None})
    return (f"run-{runs // 2:06d}", "wf-2", T0, T0 + timedelta(minutes=3 * runs // 4))


QUERY_SQL = ("SELECT * FROM log_records WHERE workflow_id = {p} AND status = {p} "
             "AND started_at >= {p} AND started_at < {p} "
             "ORDER BY started_at DESC, run_id DESC LIMIT 51")
RECORD_SQL = "SELECT * FROM log_records WHERE run_id = {p}"
EVENTS_SQL = ("SELECT seq, ts, level, message, data, task_id, attempt_id, kind FROM log_events "
              "WHERE run_id = {p} ORDER BY seq")


def hand_reads(url: str, run: str, workflow: str, since: datetime, until: datetime,
               repeat: int) -> dict[str, float]:
    """The same SQL on the raw driver connection, decoding JSON as runstore does."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    sqlite = engine.dialect.name == "sqlite"
    p = "?" if sqlite else "%s"

    def stamp(moment: datetime) -> object:
        naive = moment.replace(tzinfo=None)
        return naive.isoformat(" ", "microseconds") if sqlite else naive

    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None

        def get_log() -> None:
            cursor = raw.cursor()
            cursor.execute(RECORD_SQL.format(p=p), (run,))
            cursor.fetchall()
            cursor.execute(EVENTS_SQL.format(p=p), (run,))
            [orjson.loads(row[4]) for row in cursor.fetchall()]
            cursor.close()
            raw.commit()

        def query() -> None:
            cursor = raw.cursor()
            cursor.execute(QUERY_SQL.format(p=p), (workflow, "failed", stamp(since),
                                                   stamp(until)))
            [orjson.loads(row[-1]) for row in cursor.fetchall()]
            cursor.close()
            raw.commit()

        found = {"get_log": timed(get_log, repeat), "query": timed(query, repeat)}
    engine.dispose()
    return found


def runstore_reads(url: str, run: str, workflow: str, since: datetime, until: datetime,
                   repeat: int) -> dict[str, float]:
    with runstore.open(url) as store:
        page = store.logs.query({"workflow_id": workflow, "status": "failed",
                                 "started_after": since, "started_before": until,
                                 "limit": 50})
        assert page.items
        assert all(r.status == "failed" for r in page.items)
        return {
            "get_log": timed(lambda: store.logs.get_log(run), repeat),
            "query": timed(lambda: store.logs.query({
                "workflow_id": workflow, "status": "failed", "started_after": since,
                "started_before": until, "limit": 50}), repeat),
        }


def settle(url: str) -> None:
    """Bring freshly loaded tables to the state a running system keeps them in, so that
    neither autovacuum nor a checkpoint starts in the middle of one side's measurement:
    on PostgreSQL vacuumed, analyzed and checkpointed; on SQLite the WAL checkpointed."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql("VACUUM ANALYZE")
                conn.exec_driver_sql("CHECKPOINT")
            else:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


def read_rounds(url: str, target: tuple[str, str, datetime, datetime], rounds: int,
                repeat: int) -> tuple[dict[str, float], dict[str, float]]:
    """The hand-written reads and runstore's, alternated ``rounds`` times; the best
    (lowest median) of each measurement is kept."""
    hand: dict[str, float] = {}
    ours: dict[str, float] = {}
    for _ in range(rounds):
        for kept, found in ((hand, hand_reads(url, *target, repeat)),
                            (ours, runstore_reads(url, *target, repeat))):
            for name, seconds in found.items():
                kept[name] = min(kept.get(name, seconds), seconds)
    return hand, ours


def timed(action: Callable[[], object], repeat: int) -> float:
    action()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


# -- 3. streaming memory -------------------------------------------------------------------


def stream_child(url: str, run: str) -> None:
    """Run in a fresh process: stream every event, print count and peak RSS (MB)."""
    with runstore.open(url) as store:
        count = sum(1 for _ in store.logs.iter_events(run))
    print(orjson.dumps({"count": count, "peak_mb": peak_rss_mb()}).decode())


def peak_rss_mb() -> float:
    """This process's peak resident memory. ``VmHWM`` belongs to the current address
    space; ``ru_maxrss`` can carry the parent's peak across fork and exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def streaming(url: str, total: int, batch: int) -> tuple[int, float]:
    with runstore.open(url) as store:
        for start in range(0, total, batch):
            store.logs.append("run-stream", events(min(batch, total - start), start))
    out = subprocess.run([sys.executable, "-m", "benchmarks.logs", "--stream-child", url,
                          "run-stream"], capture_output=True, text=True, check=True)
    result = orjson.loads(out.stdout.strip().splitlines()[-1])
    return int(result["count"]), float(result["peak_mb"])


# -- main ----------------------------------------------------------------------------------




def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--query-events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1_000)
    parser.add_argument("--stream-events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--read-rounds", type=int, default=5,
                        help="rounds of the (short) read measurements")
    parser.add_argument("--repeat", type=int, default=30, help="timed reads per measurement")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="admin URL for a scratch database ('none' to skip)")
    parser.add_argument("--stream-child", nargs=2, metavar=("URL", "RUN"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stream_child:
        stream_child(*args.stream_child)
        return
    work = Path(tempfile.mkdtemp(prefix="rs-bench-logs-"))
    batches = [events(min(args.batch, args.events - s), s)
               for s in range(0, args.events, args.batch)]
    try:
        sqlite_url = f"sqlite:///{work / 'append.db'}"
        took = best(args.rounds,
                    ("raw", lambda: raw_sqlite_append(work / "raw.db", batches)),
                    ("ours", lambda: runstore_append(sqlite_url, batches)))
        report(f"SQLite: append {args.events:,} events, batches of {args.batch:,}",
               took["raw"], took["ours"], f"{args.events / took['ours']:,.0f} events/s",
               "<= 2x")
        with postgres_database(args.postgres) as pg_url:
            if pg_url is not None:
                took = best(args.rounds,
                            ("raw", lambda: raw_postgres_append(pg_url, batches)),
                            ("ours", lambda: runstore_append(pg_url, batches)))
                report(f"PostgreSQL: append {args.events:,} events (COPY)", took["raw"],
                       took["ours"], f"{args.events / took['ours']:,.0f} events/s", "<= 2x")
            for name, url in [("SQLite", f"sqlite:///{work / 'reads.db'}"),
                              ("PostgreSQL", pg_url)]:
                if url is None:
                    continue
                target = fill(url, args.query_events, args.runs, args.batch)
                settle(url)
                hand, ours = read_rounds(url, target, args.read_rounds, args.repeat)
                per_run = args.query_events // args.runs
                report(f"{name}: get_log of one run ({per_run:,} events)", hand["get_log"],
                       ours["get_log"], "median", "<= 2x")
                report(f"{name}: 50 newest failed runs of a workflow in a range",
                       hand["query"], ours["query"], "median", "<= 2x")
        count, peak = streaming(f"sqlite:///{work / 'stream.db'}", args.stream_events,
                                args.batch)
        print(f"SQLite: iter_events over one run of {count:,} events: peak RSS {peak:.1f} MB "
              "(target < 100 MB)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
