"""Helpers shared by the benchmarks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

__all__ = ["postgres_database"]


@contextmanager
def postgres_database(admin: str) -> Iterator[str | None]:
    """A scratch database on the server of ``admin`` (``None`` when unreachable, or when
    ``admin`` is ``"none"``)."""
    if admin == "none":
        yield None
        return
    name = f"rs_bench_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(admin.replace("postgresql://", "postgresql+psycopg://"),
                              isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    except sa.exc.OperationalError as exc:
        print(f"PostgreSQL skipped: {str(exc).splitlines()[0]}")
        yield None
        return
    try:
        yield sa.make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        engine.dispose()
