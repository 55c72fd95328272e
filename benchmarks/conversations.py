"""Conversation import: runstore against the raw driver, measured in the same run.

    python -m benchmarks.conversations                     # 10,000 x 50 (issue 6)
    python -m benchmarks.conversations --conversations 200 --messages 10   # a quick look

A JSONL file of ``--conversations`` conversations of ``--messages`` messages each (half
plain text, half a list of two typed parts; small metadata) is imported:

1. raw: the same file parsed with orjson and written with the bare driver into plain
   tables of the same columns, one transaction per ``--batch`` conversations
   (``sqlite3`` ``executemany``; psycopg ``COPY``). No validation, no hashes.
2. runstore, first import: ``runstore.services.conversations.import_file`` (what
   ``runstore conversations import`` runs): validation, content hashes, upserts.
3. runstore, re-import of the same file into the same store: must change nothing.

Each of the three runs ``--rounds`` times into fresh databases and the best time of each
is kept (the machine's noise only ever adds time). Targets: runstore's messages/s at
least 40% of the raw driver's; the re-import at least 3x faster than the first import.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

import runstore
from benchmarks._common import postgres_database
from runstore.services.conversations import ImportReport, import_file

T0 = datetime(2025, 1, 1, tzinfo=UTC)
RAW_TABLES = (
    "CREATE TABLE raw_conversations (id VARCHAR(128) PRIMARY KEY, source VARCHAR(128), "
    "run_id VARCHAR(128), title TEXT, created_at TIMESTAMP, updated_at TIMESTAMP, "
    "metadata TEXT)",
    "CREATE TABLE raw_messages (conversation_id VARCHAR(128), id VARCHAR(128), "
    "position INTEGER, role VARCHAR(64), content TEXT, created_at TIMESTAMP, metadata TEXT, "
    "PRIMARY KEY (conversation_id, id))",
)


def write_file(path: Path, conversations: int, messages: int) -> int:
    """Write the JSONL input; returns its size in bytes."""
    with path.open("wb") as handle:
        for c in range(conversations):
            created = T0 + timedelta(seconds=c)
            body: list[dict[str, Any]] = []
            for n in range(messages):
                content: Any = (f"message {n} of conversation {c}: a short line of chat text"
                                if n % 2 else
                                [{"type": "text", "text": f"answer {n} with some more words"},
                                 {"type": "tool_call", "data": {"name": "search", "q": n}}])
                body.append({"id": f"m{n}", "position": n,
                             "role": "assistant" if n % 2 == 0 else "user",
                             "content": content, "created_at": created + timedelta(seconds=n),
                             "metadata": {"tokens": 12 + n}})
            handle.write(orjson.dumps({
                "id": f"conv-{c:07d}", "source": "bench", "title": f"Conversation {c}",
                "created_at": created, "metadata": {"model": "m-1"}, "messages": body,
            }, option=orjson.OPT_UTC_Z) + b"\n")
    return path.stat().st_size


def raw_batches(path: Path, batch: int) -> Iterator[tuple[list[tuple[Any, ...]],
                                                          list[tuple[Any, ...]]]]:
    """Parse the file like a hand-written importer: rows per batch of conversations."""
    conversations: list[tuple[Any, ...]] = []
    messages: list[tuple[Any, ...]] = []
    with path.open("rb") as handle:
        for line in handle:
            doc = orjson.loads(line)
            cid = doc["id"]
            created = datetime.fromisoformat(doc["created_at"]).replace(tzinfo=None)
            conversations.append((cid, doc["source"], None, doc["title"], created, created,
                                  orjson.dumps(doc["metadata"]).decode()))
            for m in doc["messages"]:
                messages.append((cid, m["id"], m["position"], m["role"],
                                 orjson.dumps(m["content"]).decode(),
                                 datetime.fromisoformat(m["created_at"]).replace(tzinfo=None),
                                 orjson.dumps(m["metadata"]).decode()))
            if len(conversations) >= batch:
                yield conversations, messages
                conversations, messages = [], []
    if conversations:
        yield conversations, messages


def raw_sqlite(path: Path, data: Path, batch: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    for ddl in RAW_TABLES:
        conn.execute(ddl)
    started = time.perf_counter()
    for conversations, messages in raw_batches(data, batch):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO raw_conversations VALUES (?, ?, ?, ?, ?, ?, ?)",
                         [(*r[:4], _text(r[4]), _text(r[5]), r[6]) for r in conversations])
        conn.executemany("INSERT INTO raw_messages VALUES (?, ?, ?, ?, ?, ?, ?)",
                         [(*r[:5], _text(r[5]), r[6]) for r in messages])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def _text(value: datetime) -> str:
    return value.isoformat(" ", "microseconds")


def raw_postgres(url: str, data: Path, batch: int) -> float:
    import psycopg

    with psycopg.connect(url) as conn:
        for ddl in RAW_TABLES:
            conn.execute(ddl)
        conn.commit()
        started = time.perf_counter()
        for conversations, messages in raw_batches(data, batch):
            with conn.cursor() as cursor:
                with cursor.copy("COPY raw_conversations FROM STDIN") as copy:
                    for row in conversations:
                        copy.write_row(row)
                with cursor.copy("COPY raw_messages FROM STDIN") as copy:
                    for row in messages:
                        copy.write_row(row)
            conn.commit()
        elapsed = time.perf_counter() - started
    return elapsed


def runstore_import(url: str, data: Path, batch: int) -> tuple[float, ImportReport]:
    with runstore.open(url) as store:
        started = time.perf_counter()
        report = import_file(store, data, batch_size=batch)
        return time.perf_counter() - started, report


Timings = tuple[float, float, float]  # raw, first import, re-import (seconds)


def one_round(title: str, messages: int, raw: Callable[[], float],
              ours: Callable[[], tuple[float, ImportReport]]) -> Timings:
    """Import with the raw driver, then with runstore twice into the same store."""
    raw_s = raw()
    first_s, first = ours()
    again_s, again = ours()
    if first.changed["messages"] != messages:
        raise SystemExit(f"{title}: the first import changed {first.changed} records")
    if any(again.changed.values()):
        raise SystemExit(f"{title}: re-importing changed {again.changed}; expected nothing")
    return raw_s, first_s, again_s


def report(title: str, messages: int, rounds: list[Timings]) -> None:
    """Print the best time of each measurement over the rounds, and the ratios."""
    raw_s, first_s, again_s = (min(times) for times in zip(*rounds, strict=True))
    share = raw_s / first_s
    speedup = first_s / again_s
    print(f"{title:<11} raw {messages / raw_s:>10,.0f} msg/s  runstore {messages / first_s:>10,.0f}"
          f" msg/s = {share:6.1%} of raw (target >= 40%)  |  re-import {again_s:7.2f} s, "
          f"{speedup:4.1f}x faster than the first {first_s:7.2f} s (target >= 3x), "
          "0 changed")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=50, help="messages per conversation")
    parser.add_argument("--batch", type=int, default=100, help="conversations per transaction")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds into fresh databases; the best time of each is kept")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="admin URL of a PostgreSQL server, or 'none' to skip it")
    args = parser.parse_args(argv)
    total = args.conversations * args.messages
    folder = Path(tempfile.mkdtemp(prefix="rs-bench-conv-"))
    try:
        data = folder / "conversations.jsonl"
        size = write_file(data, args.conversations, args.messages)
        print(f"importing {args.conversations:,} conversations x {args.messages} messages "
              f"= {total:,} messages ({size / 1e6:.1f} MB of JSONL), batches of {args.batch}, "
              f"best of {args.rounds} rounds")
        sqlite_rounds = []
        for n in range(args.rounds):
            raw_db, our_db = folder / f"raw-{n}.db", folder / f"runstore-{n}.db"
            sqlite_rounds.append(one_round(
                "SQLite", total, lambda: raw_sqlite(raw_db, data, args.batch),  # noqa: B023
                lambda: runstore_import(f"sqlite:///{our_db}", data, args.batch)))  # noqa: B023
        report("SQLite", total, sqlite_rounds)
        postgres_rounds = []
        for _ in range(args.rounds):
            with postgres_database(args.postgres) as raw_url, \
                    postgres_database(args.postgres) as our_url:
                if raw_url is None or our_url is None:
                    break
                postgres_rounds.append(one_round(
                    "PostgreSQL", total,
                    lambda: raw_postgres(raw_url, data, args.batch),
                    lambda: runstore_import(our_url, data, args.batch)))
        if postgres_rounds:
            report("PostgreSQL", total, postgres_rounds)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
