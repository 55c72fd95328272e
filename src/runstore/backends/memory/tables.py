"""In-memory tables with an undo log, giving transactions and savepoints."""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from typing import Any, Final

__all__ = ["MemoryTables"]

_MISSING: Final = object()


class MemoryTables:
    """Named dict tables guarded by one re-entrant lock.

    Values must be immutable (records are frozen models): a write replaces a value,
    it never mutates one, so the undo log can restore the previous value exactly.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._tables: dict[str, dict[Hashable, Any]] = {}
        self._undo: list[tuple[dict[Hashable, Any], Hashable, Any]] | None = None

    def table(self, name: str) -> dict[Hashable, Any]:
        """The table ``name`` for reading (created empty on first use)."""
        return self._tables.setdefault(name, {})

    def put(self, name: str, key: Hashable, value: Any) -> None:
        table = self.table(name)
        if self._undo is not None:
            self._undo.append((table, key, table.get(key, _MISSING)))
        table[key] = value

    def delete(self, name: str, key: Hashable) -> None:
        table = self.table(name)
        if key in table:
            if self._undo is not None:
                self._undo.append((table, key, table[key]))
            del table[key]

    @property
    def in_transaction(self) -> bool:
        return self._undo is not None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock; undo every write made inside when the block raises."""
        with self.lock:
            outer = self._undo is None
            if outer:
                self._undo = []
            assert self._undo is not None
            mark = len(self._undo)
            try:
                yield
            except BaseException:
                self._rollback_to(mark)
                raise
            finally:
                if outer:
                    self._undo = None

    def _rollback_to(self, mark: int) -> None:
        assert self._undo is not None
        while len(self._undo) > mark:
            table, key, previous = self._undo.pop()
            if previous is _MISSING:
                table.pop(key, None)
            else:
                table[key] = previous

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in sorted(self._tables.items())}
