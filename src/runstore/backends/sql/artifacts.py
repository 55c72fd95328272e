"""Where a SQL store keeps its blobs when no ``artifacts`` location is given."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from runstore.backends._shared.blobs import BlobStore, open_blob_store
from runstore.backends._shared.options import ResultOptions

__all__ = ["SERVER_DEFAULT", "default_location", "open_artifacts"]

# Server databases have no file to sit beside: blobs default to this folder, resolved
# against the working directory when the store is opened. Set ``?artifacts=`` (or
# ``artifacts:`` in runstore.yaml) to share blobs between machines, e.g. s3://bucket/x.
SERVER_DEFAULT = "./.runstore/artifacts"


def default_location(dialect: str, url: sa.URL) -> str:
    """``<database file>.artifacts/`` for SQLite and DuckDB files, memory for in-memory
    databases, ``./.runstore/artifacts`` for PostgreSQL and MySQL."""
    if dialect in {"sqlite", "duckdb"}:
        database = url.database
        if database in {None, "", ":memory:"}:
            return "memory://"
        assert database is not None
        path = Path(database).expanduser().resolve()
        return f"file://{path.parent / (path.name + '.artifacts')}"
    return f"file://{Path(SERVER_DEFAULT).resolve()}"


def open_artifacts(options: ResultOptions, dialect: str, url: sa.URL,
                   *, durable: bool) -> BlobStore:
    """The blob store of a SQL store: the ``artifacts`` option, else the default."""
    return open_blob_store(options.artifacts or default_location(dialect, url), durable=durable)
