"""The logs repository port: append-only execution events per run."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol

from runstore.models.common import Page
from runstore.models.logs import LogEvent, LogFilter, LogRecord, RunLog

__all__ = ["LogRepository"]

EventInput = LogEvent | Mapping[str, Any]


class LogRepository(Protocol):
    """Events of a run (append-only, numbered ``seq`` 1, 2, 3... per run) and one
    summary record per run. There is no update call.
    """

    def append(self, run_id: str, events: EventInput | Iterable[EventInput]) -> int:
        """Append one event or an iterable of them, in order, atomically.

        Returns the ``seq`` of the last event appended (the run's event count). Events
        are ``LogEvent`` instances or dicts with the same fields; a bad one raises
        ``InvalidInput`` and nothing of the batch is stored. Large batches go through the
        backend's fastest path.
        """
        ...

    def store_log(self, record: LogRecord | Mapping[str, Any]) -> LogRecord:
        """Write the run's record once; a second one for the same run is ``AlreadyExists``."""
        ...

    def get_log(self, run_id: str) -> RunLog:
        """The record and every event, in ``seq`` order; ``NotFound`` when the run has
        neither. For very long logs prefer :meth:`iter_events`."""
        ...

    def get_record(self, run_id: str) -> LogRecord | None:
        """The run's record without its events; ``None`` when it has none (yet)."""
        ...

    def iter_events(self, run_id: str, after_seq: int | None = None) -> Iterator[LogEvent]:
        """Stream the events with ``seq > after_seq`` in order, in bounded memory
        (empty for an unknown run)."""
        ...

    def query(self, filter: LogFilter | Mapping[str, Any] | None = None) -> Page[LogRecord]:
        """Records matching ``filter``, newest first (``started_at``, then ``run_id``,
        descending), one page of ``filter.limit``; pass ``next_cursor`` back as
        ``filter.cursor`` for the next page."""
        ...

    def recent(self, workflow_id: str, version: int | None = None,
               limit: int = 10) -> builtins.list[LogRecord]:
        """The newest ``limit`` records of a workflow (one version, or any)."""
        ...

    def delete(self, run_id: str) -> None:
        """Remove the run's record and events; ``NotFound`` when it has neither."""
        ...
