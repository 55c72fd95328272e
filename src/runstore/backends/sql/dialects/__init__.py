"""Dialect fast paths and settings; everything else is shared SQL."""

from __future__ import annotations

from runstore.backends.sql.dialects.base import DialectSupport
from runstore.registry.url import StoreURL

__all__ = ["DialectSupport", "support_for"]


def support_for(url: StoreURL) -> DialectSupport:
    """The dialect module for a store URL (already known to be a SQL scheme)."""
    backend = url.backend
    if backend == "sqlite":
        from runstore.backends.sql.dialects.sqlite import SqliteSupport
        return SqliteSupport()
    if backend in {"postgresql", "postgres"}:
        from runstore.backends.sql.dialects.postgresql import PostgresqlSupport
        return PostgresqlSupport()
    if backend in {"mysql", "mariadb"}:
        from runstore.backends.sql.dialects.mysql import MysqlSupport
        return MysqlSupport()
    from runstore.backends.sql.dialects.duckdb import DuckdbSupport
    return DuckdbSupport()
