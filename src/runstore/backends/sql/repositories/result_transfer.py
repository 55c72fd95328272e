"""The transfer ports of the SQL results and definitions repositories.

A result travels with its inline encoded bytes; batches stop growing at
:data:`BYTE_BUDGET` bytes of values (sizes are read first), so memory stays bounded
however large the values and the batch size. Values kept in the artifact store travel
as blobs of the artifacts repository.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from pydantic import BaseModel

from runstore.backends._shared.result_transfer import (
    DEFINITION_RECORD_TYPES,
    RESULT_RECORD_TYPES,
    checked_definition,
)
from runstore.backends._shared.transfer import as_records, check_record_type
from runstore.backends.sql.result_rows import record_from_row, row_from_record
from runstore.backends.sql.schema import result_definitions, results
from runstore.backends.sql.transfer import TableTransfer, import_missing
from runstore.models.common import utcnow
from runstore.models.transfer import StoredDefinition, StoredResult
from runstore.services.batches import BYTE_BUDGET

__all__ = ["SqlDefinitionTransfer", "SqlResultTransfer"]


def _result(row: sa.Row[Any]) -> StoredResult:
    return StoredResult.of(record_from_row(dict(row._mapping)), row.value)


class SqlResultTransfer(TableTransfer):
    """Bulk export and import of cached results (record type ``results``)."""

    _transfer_tables = dict(zip(RESULT_RECORD_TYPES, [(results, _result)], strict=True))

    def export_records(self, record_type: str, *,
                       batch_size: int = 1000) -> Iterator[builtins.list[BaseModel]]:
        check_record_type(self, record_type)
        return self._batches(batch_size)

    def _batches(self, batch_size: int) -> Iterator[builtins.list[BaseModel]]:
        last: str | None = None
        while True:
            keys = self._next_keys(last, batch_size)
            if not keys:
                return
            with self._backend.connect(write=False) as conn:
                rows = conn.execute(sa.select(results).where(results.c.key.in_(keys))
                                    .order_by(results.c.key)).all()
            yield [_result(row) for row in rows]
            last = keys[-1]

    def _next_keys(self, after: str | None, batch_size: int) -> builtins.list[str]:
        """The next keys in order: at most ``batch_size``, and no more inline bytes than
        the budget (at least one key)."""
        query = (sa.select(results.c.key, results.c.size, results.c.artifact_sha256)
                 .order_by(results.c.key).limit(batch_size))
        if after is not None:
            query = query.where(results.c.key > after)
        with self._backend.connect(write=False) as conn:
            found = conn.execute(query).all()
        keys: builtins.list[str] = []
        total = 0
        for key, size, artifact in found:
            keys.append(key)
            total += 0 if artifact is not None else int(size)
            if total >= BYTE_BUDGET:
                break
        return keys

    def import_records(self, record_type: str, records: Sequence[BaseModel]) -> int:
        check_record_type(self, record_type)
        rows = [row_from_record(r.record(), r.value)
                for r in as_records(StoredResult, records)]
        return import_missing(self._backend, results, rows)


def _definition(row: sa.Row[Any]) -> StoredDefinition:
    return StoredDefinition.model_construct(content_hash=row.content_hash,
                                            definition=orjson.loads(row.definition))


class SqlDefinitionTransfer(TableTransfer):
    """Bulk export and import of definitions (record type ``definitions``)."""

    _transfer_tables = dict(zip(DEFINITION_RECORD_TYPES, [(result_definitions, _definition)],
                                strict=True))

    def import_records(self, record_type: str, records: Sequence[BaseModel]) -> int:
        check_record_type(self, record_type)
        now = utcnow()
        rows = [{"content_hash": r.content_hash, "definition": checked_definition(r).decode(),
                 "created_at": now} for r in as_records(StoredDefinition, records)]
        return import_missing(self._backend, result_definitions, rows)
