"""Results and definitions on SQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa

from runstore.backends._shared.results import (
    ResultCodec,
    check_content_hash,
    check_key,
    check_page,
    definition_hash,
)
from runstore.backends.sql.dialects.sqlite_results import SqliteResultReader
from runstore.backends.sql.driver import session
from runstore.backends.sql.repositories.result_transfer import (
    SqlDefinitionTransfer,
    SqlResultTransfer,
)
from runstore.backends.sql.result_rows import record_from_row, row_from_record
from runstore.backends.sql.schema import result_definitions, results
from runstore.errors import AlreadyExists, NotFound
from runstore.models.common import JsonObject, JsonValue, Page, utcnow
from runstore.models.results import ResultError, ResultRecord

if TYPE_CHECKING:
    from runstore.backends.sql.backend import SqlBackend

__all__ = ["SqlDefinitionRepository", "SqlResultRepository"]

class SqlResultRepository(SqlResultTransfer):
    """One row per key in ``results``; a put replaces the row in one transaction."""

    def __init__(self, backend: SqlBackend, codec: ResultCodec) -> None:
        self._backend = backend
        self._codec = codec
        self._upsert = backend.prepare(backend.support.upsert(results))
        self._fast_get: SqliteResultReader | None = None
        if backend.readers is not None:
            self._fast_get = SqliteResultReader(backend.readers, backend.url_text, codec)

    def _put(self, record: ResultRecord, inline: bytes | None) -> None:
        row = row_from_record(record, inline)
        row["created_at"] = self._backend.bind_time(record.created_at)
        with session(self._backend) as db:
            db.execute(self._upsert, row)

    def put_success(self, key: str, value: Any, *, serializer: str = "json",
                    metadata: JsonObject | None = None) -> ResultRecord:
        record, inline = self._codec.success(key, value, serializer, metadata)
        self._put(record, inline)
        return record

    def put_failure(self, key: str, error: BaseException | str | ResultError, *,
                    metadata: JsonObject | None = None) -> ResultRecord:
        record = self._codec.failure(key, error, metadata)
        self._put(record, None)
        return record

    def get_record(self, key: str) -> ResultRecord | None:
        if self._fast_get is not None and not self._backend.in_transaction:
            return self._fast_get(key)
        check_key(key)
        with self._backend.connect(write=False) as conn:
            row = conn.execute(sa.select(results).where(results.c.key == key)).first()
        if row is None:
            return None
        return self._codec.attach(record_from_row(dict(row._mapping)), row.value)

    def has(self, key: str) -> bool:
        check_key(key)
        with self._backend.connect(write=False) as conn:
            return conn.execute(sa.select(results.c.key).where(results.c.key == key)) \
                .first() is not None

    def delete(self, key: str) -> None:
        check_key(key)
        with self._backend.connect() as conn:
            deleted = conn.execute(results.delete().where(results.c.key == key)).rowcount
        if not deleted:
            raise NotFound("result", key)

    def clear(self) -> None:
        with self._backend.connect() as conn:
            conn.execute(results.delete())

    def query(self, *, prefix: str | None = None, limit: int = 100,
              cursor: str | None = None) -> Page[ResultRecord]:
        check_page(prefix, limit, cursor)
        query = sa.select(results).order_by(results.c.key).limit(limit + 1)
        if prefix:
            query = query.where(results.c.key.startswith(prefix, autoescape=True))
        if cursor is not None:
            query = query.where(results.c.key > cursor)
        with self._backend.connect(write=False) as conn:
            rows = [dict(row._mapping) for row in conn.execute(query).all()]
        items = [self._codec.attach(record_from_row(row), row["value"]) for row in rows[:limit]]
        more = len(rows) > limit
        return Page[ResultRecord](items=items, next_cursor=items[-1].key if more else None)

    def referenced_artifacts(self) -> Iterator[str]:
        query = sa.select(results.c.artifact_sha256).distinct() \
            .where(results.c.artifact_sha256.is_not(None))
        with self._backend.connect(write=False) as conn:
            return iter(conn.execute(query).scalars().all())

    def close(self) -> None:
        """Nothing to release: connections belong to the backend, closed with the store."""


class SqlDefinitionRepository(SqlDefinitionTransfer):
    """Canonical JSON in ``result_definitions``, inserted once per hash."""

    def __init__(self, backend: SqlBackend) -> None:
        self._backend = backend

    def put(self, definition: JsonValue) -> str:
        digest, body = definition_hash(definition)
        if self.has(digest):
            return digest
        try:
            with self._backend.connect() as conn:
                conn.execute(result_definitions.insert().values(
                    content_hash=digest, definition=body.decode(), created_at=utcnow()))
        except AlreadyExists:
            if self._backend.in_transaction:
                raise
        return digest

    def get(self, content_hash: str) -> JsonValue:
        check_content_hash(content_hash)
        with self._backend.connect(write=False) as conn:
            body = conn.execute(sa.select(result_definitions.c.definition).where(
                result_definitions.c.content_hash == content_hash)).scalar()
        if body is None:
            raise NotFound("definition", content_hash)
        value: JsonValue = orjson.loads(body)
        return value

    def has(self, content_hash: str) -> bool:
        check_content_hash(content_hash)
        with self._backend.connect(write=False) as conn:
            return conn.execute(sa.select(result_definitions.c.content_hash).where(
                result_definitions.c.content_hash == content_hash)).first() is not None
