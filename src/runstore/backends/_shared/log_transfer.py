"""What every backend's logs transfer shares."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Final

from runstore.models.common import trusted
from runstore.models.logs import LogEvent
from runstore.models.transfer import RunLogEvent

__all__ = ["LOG_RECORD_TYPES", "new_events", "run_event"]

LOG_RECORD_TYPES: Final = ("log_records", "log_events")


def new_events(events: Iterable[RunLogEvent], present: Collection[int]) -> list[RunLogEvent]:
    """The events whose ``seq`` is not in ``present``, in ``seq`` order, each seq once."""
    found: dict[int, RunLogEvent] = {}
    for event in events:
        if event.seq not in present:
            found.setdefault(event.seq, event)
    return [found[seq] for seq in sorted(found)]


def run_event(run_id: str, event: LogEvent) -> RunLogEvent:
    """A stored event (``seq`` set) of run ``run_id`` as a transfer record, unvalidated."""
    return trusted(RunLogEvent, {**event.__dict__, "run_id": run_id})
