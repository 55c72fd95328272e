"""What a dialect module may override. The defaults suit a client-server database."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa

__all__ = ["DialectSupport"]


class DialectSupport:
    """Per-dialect settings and fast paths used by the shared SQL backend."""

    name = "sql"
    savepoints = True
    multi_process = True
    durable = True
    row_locks = True  # SELECT ... FOR UPDATE is meaningful
    serialize = False  # one connection, one thread at a time (DuckDB, SQLite in memory)

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

    def lock(self, engine: sa.Engine, name: str,
             timeout: float | None) -> AbstractContextManager[None]:
        raise NotImplementedError
