"""DuckDB: one process, one writer connection, no savepoints."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.ddl.postgresql import PostgresqlImpl
from sqlalchemy.pool import StaticPool

from runstore.backends._shared.locks import file_lock, thread_lock
from runstore.backends.sql.dialects.base import DialectSupport

__all__ = ["DuckdbSupport"]


class AlembicDuckdbImpl(PostgresqlImpl):
    """Lets Alembic run migrations on DuckDB (whose SQL is close to PostgreSQL's)."""

    __dialect__ = "duckdb"
    transactional_ddl = True


def _is_memory(url: sa.URL) -> bool:
    return url.database in {None, "", ":memory:"}


class DuckdbSupport(DialectSupport):
    name = "duckdb"
    savepoints = False
    multi_process = False
    row_locks = False
    serialize = True

    def prepare_database(self, url: sa.URL) -> None:
        if _is_memory(url):
            self.durable = False
        else:
            assert url.database is not None
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)

    def engine_options(self, url: sa.URL, options: dict[str, str]) -> dict[str, Any]:
        return {"poolclass": StaticPool}

    def lock(self, engine: sa.Engine, name: str,
             timeout: float | None) -> AbstractContextManager[None]:
        database = engine.url.database
        if _is_memory(engine.url) or database is None:
            return thread_lock(engine, name, timeout)
        path = Path(database).expanduser().resolve()
        return file_lock(path.parent / f"{path.name}.locks", name, timeout)
