"""Run state: runstore against the raw driver, measured in the same run.

    python -m benchmarks.runs                 # 10,000 runs of 5 tasks (issue 3)
    python -m benchmarks.runs --runs 500      # a quick look

Each run is created, gets 5 ready tasks in one batch, and each task moves
``ready -> running -> succeeded``: 12 transactions per run. runstore does it with
``create_run``, ``add_tasks(..., status="ready")`` and ``update_task_status`` (which
checks the state machine under a row lock); the raw driver (``sqlite3``, ``psycopg``)
does the same writes with one guarded statement per transaction into the same tables.
Target: runstore at least 40% of the raw driver's runs/s.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import runstore
from benchmarks._common import postgres_database
from runstore.models.common import new_id

TASKS = 5
SPECS: list[dict[str, Any]] = [{"name": f"step-{n}", "spec": {"n": n}} for n in range(TASKS)]

INSERT_RUN = ("INSERT INTO runs (id, workflow_id, workflow_version, status, status_reason, "
              "metadata, created_at) VALUES ({p}, {p}, {p}, {p}, NULL, {p}, {p})")
INSERT_TASK = ("INSERT INTO tasks (id, run_id, name, kind, depends_on, spec, status, "
               "created_at) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})")
START_TASK = ("UPDATE tasks SET status = 'running', started_at = {p} "
              "WHERE id = {p} AND status = 'ready'")
FINISH_TASK = ("UPDATE tasks SET status = 'succeeded', finished_at = {p} "
               "WHERE id = {p} AND status = 'running'")


def runstore_work(url: str, runs: int) -> float:
    """Seconds for ``runs`` runs through the runstore API."""
    with runstore.open(url) as store:
        started = time.perf_counter()
        for _ in range(runs):
            run = store.runs.create_run("bench", 1)
            for task in store.runs.add_tasks(run.id, SPECS, status="ready"):
                store.runs.update_task_status(task.id, "running")
                store.runs.update_task_status(task.id, "succeeded")
        return time.perf_counter() - started


def raw_work(execute: Callable[[str, tuple[Any, ...] | list[tuple[Any, ...]]], int],
             begin: Callable[[], None], commit: Callable[[], None],
             stamp: Callable[[datetime], object], runs: int) -> float:
    """Seconds for the same writes by hand: one transaction per step, guarded updates."""
    started = time.perf_counter()
    for _ in range(runs):
        now = stamp(datetime.now(UTC))
        run_id = new_id()
        begin()
        execute(INSERT_RUN, (run_id, "bench", 1, "pending", "{}", now))
        commit()
        task_ids = [new_id() for _ in SPECS]
        begin()
        execute(INSERT_TASK, [(task_id, run_id, spec["name"], "local", "[]",
                               f'{{"n":{spec["spec"]["n"]}}}', "ready", now)
                              for task_id, spec in zip(task_ids, SPECS, strict=True)])
        commit()
        for task_id in task_ids:
            for statement in (START_TASK, FINISH_TASK):
                begin()
                changed = execute(statement, (stamp(datetime.now(UTC)), task_id))
                commit()
                assert changed == 1
    return time.perf_counter() - started


def raw_sqlite(path: Path, runs: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 60000")
    conn.execute("PRAGMA synchronous = NORMAL")

    def execute(sql: str, params: tuple[Any, ...] | list[tuple[Any, ...]]) -> int:
        statement = sql.format(p="?")
        if isinstance(params, list):
            return conn.executemany(statement, params).rowcount
        return conn.execute(statement, params).rowcount

    def begin() -> None:
        conn.execute("BEGIN IMMEDIATE")

    def commit() -> None:
        conn.execute("COMMIT")

    try:
        return raw_work(execute, begin, commit,
                        lambda t: t.replace(tzinfo=None).isoformat(" ", "microseconds"), runs)
    finally:
        conn.close()


def raw_postgres(url: str, runs: int) -> float:
    import psycopg

    with psycopg.connect(url) as conn:
        cursor = conn.cursor()

        def execute(sql: str, params: tuple[Any, ...] | list[tuple[Any, ...]]) -> int:
            statement = sql.format(p="%s")
            if isinstance(params, list):
                cursor.executemany(statement, params)
            else:
                cursor.execute(statement, params)
            return cursor.rowcount

        return raw_work(execute, lambda: None, conn.commit,
                        lambda t: t.replace(tzinfo=None), runs)




def report(title: str, runs: int, raw: float, ours: float) -> None:
    raw_rate, our_rate = runs / raw, runs / ours
    print(f"{title:<12} {runs} runs x {TASKS} tasks: raw {raw_rate:8.1f} runs/s  "
          f"runstore {our_rate:8.1f} runs/s  = {100 * our_rate / raw_rate:5.1f}% of raw "
          f"(target >= 40%)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000, help="runs of 5 tasks each")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="admin URL for a scratch database ('none' to skip)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="rs-bench-runs-"))
    try:
        # Both sides write the same tables of a fresh store; raw first, then runstore.
        url = f"sqlite:///{work / 'runs.db'}"
        runstore.open(url).close()
        raw = raw_sqlite(work / "runs.db", args.runs)
        report("SQLite", args.runs, raw, runstore_work(url, args.runs))
        if args.postgres != "none":
            with postgres_database(args.postgres) as pg_url:
                if pg_url is not None:
                    runstore.open(pg_url).close()
                    raw = raw_postgres(pg_url, args.runs)
                    report("PostgreSQL", args.runs, raw, runstore_work(pg_url, args.runs))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
