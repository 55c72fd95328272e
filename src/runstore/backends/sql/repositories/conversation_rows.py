"""Rows of the conversations tables, and the hash-comparing bulk upsert they share.

A save reads the stored ``content_hash`` of the keys it is given (a few queries of
at most ``KEYS_PER_QUERY`` keys), then deletes the rows whose content changed and
inserts those and the new ones through the dialect's bulk path (COPY on PostgreSQL, the
driver's ``executemany`` on SQLite, multi-row ``executemany`` elsewhere). Saving
unchanged content is therefore read-only.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeVar

import orjson
import sqlalchemy as sa
from pydantic import BaseModel

from runstore.backends._shared.conversation_batches import Batch, Prepared
from runstore.backends._shared.conversations import conversation_not_found
from runstore.backends.sql import driver
from runstore.backends.sql.bulk import insert_rows
from runstore.backends.sql.schema.conversations import conversations
from runstore.models.conversations import Attachment, Conversation, Message

if TYPE_CHECKING:
    from runstore.backends.sql.backend import SqlBackend

__all__ = [
    "ATTACHMENT_COLUMNS",
    "CONVERSATION_COLUMNS",
    "KEYS_PER_QUERY",
    "MESSAGE_COLUMNS",
    "Statistics",
    "attachment_record",
    "attachment_row",
    "changed_items",
    "conversation_record",
    "conversation_row",
    "existing_keys",
    "imported_digests",
    "message_record",
    "message_row",
    "record_import_digests",
    "require_conversations",
    "write",
]

KEYS_PER_QUERY: Final = 2000  # bound parameters per lookup query
_ANALYZE_FIRST: Final = 1000
_ANALYZE_EVERY: Final = 100_000
_SAMPLE_TARGET: Final = 10  # 3,000 sampled rows: enough to tell that ids are selective
# From this many records per conversation on, a lookup reads every row of the
# conversations (one index range each) rather than probing each id.
_WHOLE: Final = 8
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

CONVERSATION_COLUMNS: Final = ("id", "source", "run_id", "title", "created_at", "updated_at",
                               "metadata", "content_hash")
MESSAGE_COLUMNS: Final = ("conversation_id", "id", "position", "role", "content", "created_at",
                          "metadata", "content_hash")
ATTACHMENT_COLUMNS: Final = ("conversation_id", "id", "message_id", "name", "media_type",
                             "size", "sha256", "metadata", "content_hash")


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def conversation_row(item: Prepared[Conversation]) -> tuple[Any, ...]:
    c = item.record
    return (c.id, c.source, c.run_id, c.title, c.created_at, c.updated_at, _json(c.metadata),
            item.digest)


def message_row(item: Prepared[Message]) -> tuple[Any, ...]:
    d = item.document  # (the record may not be built: see Prepared)
    return (d["conversation_id"], d["id"], d["position"], d["role"], _json(d["content"]),
            d["created_at"], _json(d["metadata"]), item.digest)


def attachment_row(item: Prepared[Attachment]) -> tuple[Any, ...]:
    a = item.record
    return (a.conversation_id, a.id, a.message_id, a.name, a.media_type, a.size, a.sha256,
            _json(a.metadata), item.digest)


def conversation_record(row: sa.Row[Any]) -> Conversation:
    return Conversation(id=row.id, source=row.source, run_id=row.run_id, title=row.title,
                        created_at=row.created_at, updated_at=row.updated_at,
                        metadata=orjson.loads(row.metadata))


def message_record(row: sa.Row[Any]) -> Message:
    return Message.model_validate({
        "conversation_id": row.conversation_id, "id": row.id, "position": row.position,
        "role": row.role, "content": orjson.loads(row.content), "created_at": row.created_at,
        "metadata": orjson.loads(row.metadata),
    })


def attachment_record(row: sa.Row[Any]) -> Attachment:
    return Attachment(conversation_id=row.conversation_id, id=row.id,
                      message_id=row.message_id, name=row.name, media_type=row.media_type,
                      size=row.size, sha256=row.sha256, metadata=orjson.loads(row.metadata))


def require_conversations(conn: sa.Connection, ids: Sequence[str]) -> set[str]:
    """``NotFound`` for the first of ``ids`` that is not stored; else those of ``ids``
    that have an import digest (which a change to their records must clear)."""
    db = driver.on_connection(conn)
    found: dict[str, str | None] = {}
    for chunk in _chunks(list(dict.fromkeys(ids)), KEYS_PER_QUERY):
        found.update(db.fetchall(_lookup(conn.dialect, conversations, len(chunk), 0,
                                         "import_digest"), _numbered(chunk)))
    for conversation_id in ids:
        if conversation_id not in found:
            raise conversation_not_found(conversation_id)
    return {conversation_id for conversation_id, digest in found.items() if digest is not None}


def existing_keys(conn: sa.Connection, table: sa.Table,
                  keys: Sequence[tuple[str, ...]]) -> dict[tuple[str, ...], str]:
    """The stored ``content_hash`` of each of ``keys`` that exists in ``table`` (and
    perhaps of other records of the same conversations).

    Keys are ``(id,)`` for conversations and ``(conversation_id, id)`` for the others;
    the latter are read a whole conversation at a time (``conversation_id IN (...)``),
    or, when few records per conversation are asked for, by their ids too. Runs on the
    DB-API cursor: a re-import reads back every hash it saves.
    """
    db = driver.on_connection(conn)
    dialect = conn.dialect
    parents = list(dict.fromkeys(key[0] for key in keys))
    found: list[driver.Row] = []  # rows of (key..., content_hash)
    if table is conversations or len(keys) >= _WHOLE * len(parents):
        for chunk in _chunks(parents, KEYS_PER_QUERY):
            found += db.fetchall(_lookup(dialect, table, len(chunk), 0), _numbered(chunk))
    else:
        for pairs in _chunks(list(dict.fromkeys(keys)), KEYS_PER_QUERY // 2):
            chunk = sorted({key[0] for key in pairs})
            ids = sorted({key[1] for key in pairs})
            found += db.fetchall(_lookup(dialect, table, len(chunk), len(ids)),
                                 _numbered(chunk, ids))
    return {tuple(row[:-1]): row[-1] for row in found}


def _chunks(values: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


@functools.lru_cache(maxsize=256)
def _lookup(dialect: sa.Dialect, table: sa.Table, parents: int, ids: int,
            column: str = "content_hash") -> driver.Prepared:
    """``SELECT [conversation_id,] id, content_hash`` for ``parents`` conversation ids
    (or, on the conversations table, ids, and ``column`` there instead of the hash)
    and ``ids`` record ids, bound as p0, p1..."""
    marks: list[sa.BindParameter[str]] = [sa.bindparam(f"p{n}") for n in range(parents + ids)]
    if table is conversations:
        by_id = sa.select(table.c.id, table.c[column]).where(table.c.id.in_(marks))
        return driver.Prepared(by_id, dialect)
    query = sa.select(table.c.conversation_id, table.c.id, table.c.content_hash).where(
        table.c.conversation_id.in_(marks[:parents]))
    if ids:
        query = query.where(table.c.id.in_(marks[parents:]))
    return driver.Prepared(query, dialect)


def imported_digests(conn: sa.Connection, digests: Sequence[str]) -> set[str]:
    """Those of ``digests`` that a stored conversation has as its import digest."""
    db = driver.on_connection(conn)
    found: set[str] = set()
    for chunk in _chunks(list(dict.fromkeys(digests)), KEYS_PER_QUERY):
        rows = db.fetchall(_by_import_digest(conn.dialect, len(chunk)), _numbered(chunk))
        found.update(digest for (digest,) in rows)
    return found


def record_import_digests(conn: sa.Connection, digests: Mapping[str, str]) -> None:
    """Set the import digest of conversations, ``{id: digest}``."""
    db = driver.on_connection(conn)
    for chunk in _chunks(list(digests.items()), KEYS_PER_QUERY // 2):
        db.execute(_set_import_digests(conn.dialect, len(chunk)),
                   _numbered([key for key, _ in chunk], [digest for _, digest in chunk]))


@functools.lru_cache(maxsize=64)
def _by_import_digest(dialect: sa.Dialect, count: int) -> driver.Prepared:
    column = conversations.c.import_digest
    return driver.Prepared(sa.select(column).where(
        column.in_([sa.bindparam(f"p{n}") for n in range(count)])), dialect)


@functools.lru_cache(maxsize=64)
def _set_import_digests(dialect: sa.Dialect, count: int) -> driver.Prepared:
    """``UPDATE`` of ``count`` conversations: ids bound as p0.., then their digests."""
    c = conversations.c
    ids: list[sa.BindParameter[str]] = [sa.bindparam(f"p{n}") for n in range(count)]
    digests: list[sa.BindParameter[str]] = [sa.bindparam(f"p{count + n}") for n in range(count)]
    return driver.Prepared(conversations.update().where(c.id.in_(ids)).values(
        import_digest=sa.case(*((c.id == key, digest) for key, digest
                                in zip(ids, digests, strict=True)))), dialect)


def _numbered(*groups: Sequence[str]) -> dict[str, str]:
    values = [value for group in groups for value in group]
    return {f"p{n}": value for n, value in enumerate(values)}


def changed_items(conn: sa.Connection, table: sa.Table, batch: Batch[M]
                  ) -> tuple[list[Prepared[M]], Container[tuple[str, ...]]]:
    """The records of ``batch`` whose content differs from what ``table`` holds, and the
    keys that are stored (whose rows a write must replace)."""
    stored = existing_keys(conn, table, batch.keys)
    return batch.changed(stored), stored.keys()


class Statistics:
    """Keeps PostgreSQL's planner statistics in step with bulk inserts.

    The hash lookups are planned from the table's statistics; a table that grew by bulk
    inserts faster than autovacuum analyzes it is planned as if it were tiny, and every
    lookup becomes a sequential scan (an import slows down as it goes, and a re-import
    takes longer than the import). So ``ANALYZE`` the lookup column of a table each
    time the rows this process inserted into it have doubled since it last did, from
    ``_ANALYZE_FIRST`` rows, and then every ``_ANALYZE_EVERY``. Other dialects need
    nothing.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, int] = {}
        self._analyzed: dict[str, int] = {}  # rows inserted up to the last ANALYZE

    def inserted(self, backend: SqlBackend, conn: sa.Connection, table: sa.Table,
                 count: int) -> None:
        if backend.dialect != "postgresql" or not count:
            return
        name = table.name
        with self._lock:
            pending = self._pending.get(name, 0) + count
            analyzed = self._analyzed.get(name, 0)
            due = pending >= min(_ANALYZE_EVERY, max(_ANALYZE_FIRST, analyzed))
            if due:
                self._analyzed[name] = analyzed + pending
            self._pending[name] = 0 if due else pending
        if due:  # only the column the lookups select by, from a small sample: ~10 ms
            column = "id" if table is conversations else "conversation_id"
            conn.exec_driver_sql(f"SET LOCAL default_statistics_target = {_SAMPLE_TARGET}")
            conn.exec_driver_sql(f'ANALYZE "{name}" ("{column}")')
            conn.exec_driver_sql("SET LOCAL default_statistics_target TO DEFAULT")


def write(backend: SqlBackend, conn: sa.Connection, table: sa.Table, columns: Sequence[str],
          found: tuple[Sequence[Prepared[Any]], Container[tuple[str, ...]]],
          to_row: Callable[[Prepared[Any]], tuple[Any, ...]],
          statistics: Statistics | None = None, imported: Container[str] = ()) -> int:
    """Write what :func:`changed_items` found: delete the stored rows that changed, then
    bulk-insert every changed record, and clear the import digest of the ``imported``
    conversations (see :func:`require_conversations`) whose records changed. Returns how
    many records changed. (A conversation row that changed is replaced whole, import
    digest included.)"""
    changed, stored = found
    replaced = [item for item in changed if item.key in stored]
    key_columns = [table.c[name] for name in
                   (("id",) if table is conversations else ("conversation_id", "id"))]
    names = [f"k{n}" for n in range(len(key_columns))]
    if replaced:
        conn.execute(table.delete().where(*(column == sa.bindparam(name) for column, name
                                            in zip(key_columns, names, strict=True))),
                     [dict(zip(names, item.key, strict=True)) for item in replaced])
    insert_rows(backend, conn, table, columns, map(to_row, changed))
    if statistics is not None:
        statistics.inserted(backend, conn, table, len(changed) - len(replaced))
    if imported and changed:
        _forget_imports(conn, list({item.key[0] for item in changed if item.key[0] in imported}))
    return len(changed)


def _forget_imports(conn: sa.Connection, conversation_ids: list[str]) -> None:
    """Clear the import digest of these conversations (see
    ``ports.conversations.ImportDigests``)."""
    c = conversations.c
    for chunk in _chunks(conversation_ids, KEYS_PER_QUERY):
        conn.execute(conversations.update().where(c.id.in_(chunk)).values(import_digest=None))
