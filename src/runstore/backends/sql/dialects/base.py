"""What a dialect module may override. The defaults suit a client-server database."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

__all__ = ["DialectSupport"]


class DialectSupport:
    """Per-dialect settings and fast paths used by the shared SQL backend."""

    name = "sql"
    savepoints = True
    multi_process = True
    durable = True
    row_locks = True  # SELECT ... FOR UPDATE is meaningful
    serialize = False  # one connection, one thread at a time (DuckDB, SQLite in memory)

    def __init__(self) -> None:
        self._upserts: dict[str, sa.Insert] = {}

    def driver_url(self, url: sa.URL) -> sa.URL:
        """The SQLAlchemy URL with the driver runstore uses."""
        return url

    def split_options(self, url: sa.URL) -> tuple[sa.URL, dict[str, str]]:
        """Remove runstore's own query options from ``url``."""
        return url, {}

    def engine_options(self, url: sa.URL, options: dict[str, str]) -> dict[str, Any]:
        return {}

    def configure(self, engine: sa.Engine, options: dict[str, str]) -> None:
        """Install connection events (pragmas, transaction begin)."""

    def prepare_database(self, url: sa.URL) -> None:
        """Create what must exist before connecting (a folder for an embedded file)."""

    def bind_time(self, value: datetime) -> object:
        """A UTC instant as the driver takes it (a naive UTC datetime)."""
        return value.astimezone(UTC).replace(tzinfo=None)

    def upsert(self, table: sa.Table) -> sa.Insert:
        """``INSERT`` of one or more rows of ``table`` that replaces a row whose primary key
        is taken (one atomic statement; built once per table and reused with parameters)."""
        found = self._upserts.get(table.name)
        if found is None:
            found = self._upserts[table.name] = self._build_upsert(table)
        return found

    def _build_upsert(self, table: sa.Table) -> sa.Insert:
        insert = self._insert_on_conflict(table)
        keys = [column.name for column in table.primary_key]
        upsert: sa.Insert = insert.on_conflict_do_update(index_elements=keys, set_={
            column.name: insert.excluded[column.name]
            for column in table.columns if column.name not in keys})
        return upsert

    def _insert_on_conflict(self, table: sa.Table) -> Any:
        """The dialect's INSERT construct with ON CONFLICT (SQLite's has the same API)."""
        return postgresql.insert(table)

    def lock(self, engine: sa.Engine, name: str,
             timeout: float | None) -> AbstractContextManager[None]:
        raise NotImplementedError
