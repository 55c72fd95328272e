"""The SQL backend (SQLite, PostgreSQL, MySQL/MariaDB, DuckDB)."""

from runstore.backends.sql.backend import SqlBackend

__all__ = ["SqlBackend"]
