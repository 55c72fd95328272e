"""PostgreSQL through psycopg 3: advisory locks, and (later) COPY and SKIP LOCKED paths."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from runstore.backends.sql.dialects.base import DialectSupport
from runstore.errors import LockTimeout

__all__ = ["PostgresqlSupport", "lock_key"]


def lock_key(name: str) -> int:
    """A signed 64-bit advisory lock key for ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class PostgresqlSupport(DialectSupport):
    name = "postgresql"

    def driver_url(self, url: sa.URL) -> sa.URL:
        return url.set(drivername="postgresql+psycopg")

    def engine_options(self, url: sa.URL, options: dict[str, str]) -> dict[str, Any]:
        # Sessions in UTC: timestamptz values come back as datetimes in timezone.utc.
        return {"pool_size": 8, "max_overflow": 16,
                "connect_args": {"options": "-c timezone=UTC"}}

    def lock(self, engine: sa.Engine, name: str,
             timeout: float | None) -> AbstractContextManager[None]:
        return _advisory_lock(engine, name, timeout)


@contextmanager
def _advisory_lock(engine: sa.Engine, name: str, timeout: float | None) -> Iterator[None]:
    key = lock_key(name)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if timeout is not None and timeout <= 0:
            if not conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                raise LockTimeout(name, timeout)
        else:
            ms = 0 if timeout is None else max(1, int(timeout * 1000))
            conn.exec_driver_sql(f"SET lock_timeout = {ms}")
            try:
                conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": key})
            except sa_exc.OperationalError as exc:
                if getattr(exc.orig, "sqlstate", None) == "55P03":
                    raise LockTimeout(name, timeout) from exc
                raise
            finally:
                conn.exec_driver_sql("SET lock_timeout = 0")
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
