"""Integrity checks of a SQL store, and salvage of a damaged SQLite file."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import orjson
import sqlalchemy as sa
from pydantic import BaseModel

from runstore.backends._shared.conversations import digest_of
from runstore.backends.sql.repositories import conversation_rows
from runstore.backends.sql.schema import SCHEMA_HEAD, metadata, version_table, workflows
from runstore.backends.sql.schema.conversations import (
    conversation_attachments,
    conversation_messages,
    conversations,
)
from runstore.backends.sql.schema.results import results
from runstore.errors import RunstoreError
from runstore.models.common import content_hash
from runstore.ports.health import Finding
from runstore.services.doctor import quarantine_path

__all__ = ["check_rows", "check_sqlite_file", "salvage_sqlite"]


def check_sqlite_file(path: Path) -> list[Finding]:
    """``PRAGMA integrity_check`` and ``foreign_key_check`` on a SQLite file."""
    findings: list[Finding] = []
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            for (message,) in conn.execute("PRAGMA integrity_check"):
                if message != "ok":
                    findings.append(Finding(str(path), f"integrity_check: {message}"))
            for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check"):
                findings.append(Finding(f"{path}:{table}#{rowid}",
                                        f"row refers to a missing {parent} row"))
    except sqlite3.DatabaseError as exc:
        findings.append(Finding(str(path), f"cannot be read: {exc}"))
    return findings


def check_rows(conn: sa.Connection) -> list[Finding]:
    """Records whose stored content no longer matches their hash: workflow definitions,
    inline result values, and conversation records."""
    findings = []
    for row in _streamed(conn, sa.select(workflows.c.id, workflows.c.version,
                                         workflows.c.definition, workflows.c.content_hash)):
        try:
            ok = content_hash(orjson.loads(row.definition)) == row.content_hash
        except (orjson.JSONDecodeError, ValueError):
            ok = False
        if not ok:
            findings.append(Finding(f"workflows({row.id!r}, {row.version})",
                                    "definition does not match its content_hash"))
    inline = sa.select(results.c.key, results.c.value, results.c.content_hash).where(
        results.c.value.is_not(None))
    for row in _streamed(conn, inline):
        if hashlib.sha256(row.value).hexdigest() != row.content_hash:
            findings.append(Finding(f"results({row.key!r})", f"the value of result "
                                    f"{row.key!r} does not match its content_hash"))
    for table, (record_of, key_columns) in _CONVERSATION_TABLES.items():
        for row in _streamed(conn, sa.select(table)):
            try:
                ok = digest_of(record_of(row)) == row.content_hash
            except (RunstoreError, ValueError):  # (pydantic's ValidationError is one)
                ok = False
            if not ok:
                key = ", ".join(repr(getattr(row, name)) for name in key_columns)
                findings.append(Finding(f"{table.name}({key})",
                                        "content does not match its content_hash"))
    return findings


_CONVERSATION_TABLES: Final[dict[sa.Table, tuple[Callable[[Any], BaseModel], tuple[str, ...]]]] = {
    conversations: (conversation_rows.conversation_record, ("id",)),
    conversation_messages: (conversation_rows.message_record, ("conversation_id", "id")),
    conversation_attachments: (conversation_rows.attachment_record, ("conversation_id", "id")),
}


def _streamed(conn: sa.Connection, query: sa.Select[Any]) -> Iterator[sa.Row[Any]]:
    """The rows of ``query`` a thousand at a time (a check reads whole tables)."""
    yield from conn.execution_options(yield_per=1000).execute(query)


def _readable_rows(damaged: sqlite3.Connection, table: str) -> tuple[list[Any], int]:
    """Rows of ``table`` that can still be read, and how many rowids could not be read.

    A damaged b-tree fails a full scan, so walk rowids in chunks (one by one inside a
    chunk that fails) until a long run of rowids holds nothing.
    """
    try:
        return damaged.execute(f'SELECT * FROM "{table}"').fetchall(), 0
    except sqlite3.DatabaseError:
        pass
    rows: list[Any] = []
    lost, empty_run, start, chunk = 0, 0, 1, 64
    query = f'SELECT * FROM "{table}" WHERE rowid >= ? AND rowid < ?'
    while empty_run < _GIVE_UP_AFTER:
        try:
            found = damaged.execute(query, (start, start + chunk)).fetchall()
        except sqlite3.DatabaseError:
            found = []
            for rowid in range(start, start + chunk):
                try:
                    found.extend(damaged.execute(query, (rowid, rowid + 1)))
                except sqlite3.DatabaseError:
                    lost += 1
        rows.extend(found)
        empty_run = 0 if found else empty_run + chunk
        start += chunk
    return rows, lost


_GIVE_UP_AFTER = 4096


def salvage_sqlite(path: Path) -> list[Finding]:
    """Move a damaged SQLite file to quarantine and rebuild it from the readable rows."""
    target = quarantine_path(path.parent, path)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, target)
    for suffix in ("-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            os.replace(f"{path}{suffix}", f"{target}{suffix}")
    findings = [Finding(str(path), "damaged file", action=f"moved to {target}; rebuilt")]
    # The rebuilt file has this runstore's schema, whatever the damaged one recorded.
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        metadata.create_all(conn)
        version_table.create(conn)
        conn.execute(version_table.insert().values(version_num=SCHEMA_HEAD))
    engine.dispose()
    readable = _padded_copy(target)
    damaged = sqlite3.connect(f"file:{readable}?mode=ro", uri=True)
    fresh = sqlite3.connect(path)
    try:
        for table in metadata.sorted_tables:
            rows, lost = _readable_rows(damaged, table.name)
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                fresh.executemany(f'INSERT OR IGNORE INTO "{table.name}" VALUES ({marks})', rows)
            if lost:
                findings.append(Finding(f"{path}:{table.name}", "unreadable rows",
                                        lost=f"up to {lost} rows of {table.name}"))
        fresh.commit()
    finally:
        damaged.close()
        fresh.close()
        readable.unlink()
    return findings


def _padded_copy(damaged: Path) -> Path:
    """A copy padded with zeros to the size its header declares: a truncated file then
    reads as a file with some empty (unreadable) pages, and the rest can be salvaged."""
    copy = damaged.with_name(damaged.name + ".reading")
    shutil.copyfile(damaged, copy)
    with open(copy, "r+b") as handle:
        header = handle.read(100)
        if len(header) == 100:
            page_size = int.from_bytes(header[16:18], "big") or 65536
            declared = page_size * int.from_bytes(header[28:32], "big")
            if declared > copy.stat().st_size:
                handle.truncate(declared)
    return copy
