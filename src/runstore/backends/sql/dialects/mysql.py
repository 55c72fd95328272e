"""MySQL and MariaDB through PyMySQL: utf8mb4, READ COMMITTED, GET_LOCK named locks."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import sqlalchemy as sa

from runstore.backends.sql.dialects.base import DialectSupport
from runstore.errors import LockTimeout

__all__ = ["MysqlSupport"]


class MysqlSupport(DialectSupport):
    name = "mysql"

    def driver_url(self, url: sa.URL) -> sa.URL:
        backend = url.get_backend_name()
        url = url.set(drivername=f"{backend}+pymysql")
        if "charset" not in url.query:
            url = url.update_query_dict({"charset": "utf8mb4"})
        return url

    def engine_options(self, url: sa.URL, options: dict[str, str]) -> dict[str, Any]:
        return {
            "pool_size": 8,
            "max_overflow": 16,
            "pool_recycle": 3600,
            "isolation_level": "READ COMMITTED",
        }

    def _build_upsert(self, table: sa.Table) -> sa.Insert:
        from sqlalchemy.dialects import mysql

        insert = mysql.insert(table)
        keys = {column.name for column in table.primary_key}
        return insert.on_duplicate_key_update({
            column.name: insert.inserted[column.name]
            for column in table.columns if column.name not in keys})

    def lock(self, engine: sa.Engine, name: str,
             timeout: float | None) -> AbstractContextManager[None]:
        # GET_LOCK names are server-wide and at most 64 characters: scope by database.
        scoped = f"{engine.url.database}:{name}"
        return _get_lock(engine, "rs:" + hashlib.sha256(scoped.encode()).hexdigest()[:56],
                         name, timeout)


@contextmanager
def _get_lock(engine: sa.Engine, key: str, name: str, timeout: float | None) -> Iterator[None]:
    wait = 365 * 86400 if timeout is None else max(0.0, timeout)  # MariaDB: no -1
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        got = conn.execute(sa.text("SELECT GET_LOCK(:k, :t)"), {"k": key, "t": wait}).scalar()
        if got != 1:
            raise LockTimeout(name, timeout)
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT RELEASE_LOCK(:k)"), {"k": key})
