"""Table-level helpers for the transfer port: keyset-paginated export, insert-missing import."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel

from runstore.backends._shared.transfer import check_record_type

if TYPE_CHECKING:
    from runstore.backends.sql.backend import SqlBackend

__all__ = ["TableTransfer", "count_rows", "export_models", "export_rows", "import_missing"]

T = TypeVar("T")


def count_rows(backend: SqlBackend, table: sa.Table) -> int:
    """The number of rows in ``table``."""
    with backend.connect(write=False) as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def export_rows(backend: SqlBackend, table: sa.Table, convert: Callable[[sa.Row[Any]], T],
                *, batch_size: int) -> Iterator[list[T]]:
    """Every row of ``table`` ordered by primary key, one short transaction per batch."""
    key = list(table.primary_key.columns)
    last: tuple[Any, ...] | None = None
    while True:
        query = sa.select(table).order_by(*key).limit(batch_size)
        if last is not None:
            query = query.where(sa.tuple_(*key) > sa.tuple_(*last))
        with backend.connect(write=False) as conn:
            rows = conn.execute(query).all()
        if not rows:
            return
        yield [convert(row) for row in rows]
        last = tuple(getattr(rows[-1], column.name) for column in key)
        if len(rows) < batch_size:
            return


def export_models(backend: SqlBackend, table: sa.Table,
                  convert: Callable[[sa.Row[Any]], BaseModel],
                  *, batch_size: int) -> Iterator[list[BaseModel]]:
    """:func:`export_rows` typed for the transfer port (batches of records)."""
    return export_rows(backend, table, convert, batch_size=batch_size)


def import_missing(backend: SqlBackend, table: sa.Table,
                   rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert the rows whose primary key is absent; returns how many were inserted."""
    if not rows:
        return 0
    key = [column.name for column in table.primary_key.columns]
    wanted = {tuple(row[name] for name in key): row for row in rows}
    with backend.connect() as conn:
        existing: set[tuple[Any, ...]] = set()
        columns = [table.c[name] for name in key]
        keys = list(wanted)
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            found = conn.execute(sa.select(*columns).where(sa.tuple_(*columns).in_(chunk)))
            existing.update(tuple(row) for row in found)
        missing = [row for k, row in wanted.items() if k not in existing]
        if missing:
            conn.execute(table.insert(), missing)
    return len(missing)


class TableTransfer:
    """``record_types``, ``count_records`` and ``export_records`` of a repository whose
    record types are one table each (``_transfer_tables``: record type -> table and row
    converter); the repository mixes it in and defines ``import_records``."""

    _backend: SqlBackend
    _transfer_tables: ClassVar[Mapping[str, tuple[sa.Table, Callable[[sa.Row[Any]], BaseModel]]]]

    def record_types(self) -> tuple[str, ...]:
        return tuple(self._transfer_tables)

    def count_records(self, record_type: str) -> int:
        check_record_type(self, record_type)
        return count_rows(self._backend, self._transfer_tables[record_type][0])

    def export_records(self, record_type: str, *,
                       batch_size: int = 1000) -> Iterator[list[BaseModel]]:
        check_record_type(self, record_type)
        table, convert = self._transfer_tables[record_type]
        return export_models(self._backend, table, convert, batch_size=batch_size)
