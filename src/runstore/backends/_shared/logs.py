"""Backend-independent rules of the logs repository: event validation at driver speed,
and filtering and paging for backends that scan records in Python."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Final, NamedTuple

import orjson

from runstore.errors import InvalidInput, NotFound
from runstore.models.common import ID_PATTERN, Page, coerce, trusted, validate_id
from runstore.models.logs import (
    LEVEL_RANKS,
    LogEvent,
    LogFilter,
    LogLevel,
    LogRecord,
    decode_log_cursor,
    encode_log_cursor,
)

__all__ = [
    "PreparedEvent",
    "as_filter",
    "as_record",
    "check_after_seq",
    "check_recent",
    "check_run_id",
    "event_from_prepared",
    "log_not_found",
    "newest_first",
    "page_records",
    "prepare_events",
    "record_matches",
    "stored_event",
]

_FIELDS: Final = frozenset({"ts", "level", "message", "data", "task_id", "attempt_id", "kind",
                            "seq"})
_RANK_OF: Final = {level.value: rank for level, rank in LEVEL_RANKS.items()}
_UNSET: Final = object()
_SCALARS: Final = frozenset({str, int, bool, type(None)})


class PreparedEvent(NamedTuple):
    """A validated event ready to store: UTC time, level rank, data as JSON text."""

    ts: datetime
    level: int
    message: str
    data: str
    task_id: str | None
    attempt_id: str | None
    kind: str | None


# NamedTuple's own constructor is a Python function; tuple's is not (one per event).
_prepared_event = tuple.__new__


def _plain(value: object, depth: int = 0) -> bool:
    """True for plain JSON values with finite numbers (keys are checked by the encoder)."""
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is float:
        return math.isfinite(value)  # type: ignore[arg-type]
    if depth > 64:
        return False
    if kind is dict:
        items: Iterable[object] = value.values()  # type: ignore[attr-defined]
    elif kind is list:
        items = value  # type: ignore[assignment]
    else:
        return False
    for item in items:
        item_kind = type(item)
        if item_kind in _SCALARS:
            continue
        if item_kind is float:
            if not math.isfinite(item):  # type: ignore[arg-type]
                return False
        elif not _plain(item, depth + 1):
            return False
    return True


def _optional_id(value: object) -> bool:
    return value is None or (isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None)


def _fast(event: dict[str, Any], now: datetime) -> PreparedEvent | None:
    """The common case (a dict of plain values) without building a model; ``None`` when
    anything needs the full validation (which then reports the problem)."""
    if not _FIELDS.issuperset(event):
        return None
    get = event.get
    ts = get("ts", _UNSET)
    if ts is _UNSET:
        ts = now
    elif type(ts) is not datetime or ts.tzinfo is None:
        return None
    elif ts.tzinfo is not UTC and ts.utcoffset():
        ts = ts.astimezone(UTC)
    name = get("level", _UNSET)
    level = 20 if name is _UNSET else _RANK_OF.get(name) if isinstance(name, str) else None
    message = get("message", "")
    data = get("data", _UNSET)
    if level is None or type(message) is not str:
        return None
    if data is _UNSET:
        text = "{}"
    elif type(data) is not dict or not _plain(data):
        return None
    else:
        try:
            text = orjson.dumps(data).decode()
        except TypeError:
            return None
    task_id, attempt_id, kind = get("task_id"), get("attempt_id"), get("kind")
    if ((task_id is not None and not _optional_id(task_id))
            or (attempt_id is not None and not _optional_id(attempt_id))
            or (kind is not None and not (isinstance(kind, str) and len(kind) <= 64))):
        return None
    return _prepared_event(PreparedEvent, (ts, level, message, text, task_id, attempt_id,
                                           kind))


def _from_model(event: LogEvent) -> PreparedEvent:
    problem = "event data must be plain JSON (finite numbers, string keys)"
    if not _plain(event.data):
        raise InvalidInput(problem)
    try:
        text = orjson.dumps(event.data).decode()
    except TypeError as exc:
        raise InvalidInput(f"{problem}: {exc}") from exc
    return PreparedEvent(event.ts, event.level.rank, event.message, text, event.task_id,
                         event.attempt_id, event.kind)


def prepare_events(events: object) -> list[PreparedEvent]:
    """Validate one event or an iterable of events (``LogEvent`` or dicts), in order.

    Any bad event raises ``InvalidInput`` naming its position, before anything is stored.
    """
    if isinstance(events, LogEvent | Mapping):
        items: Iterable[object] = [events]
    elif isinstance(events, str | bytes) or not isinstance(events, Iterable):
        raise InvalidInput(
            f"events must be a LogEvent, a dict or an iterable of them, "
            f"not {type(events).__name__}")
    else:
        items = events
    now = datetime.now(UTC)
    prepared: list[PreparedEvent] = []
    append = prepared.append
    for position, event in enumerate(items):
        fast = _fast(event, now) if type(event) is dict else None
        if fast is not None:
            append(fast)
            continue
        try:
            model = event if isinstance(event, LogEvent) else coerce(
                LogEvent, event, what=f"event {position}")  # type: ignore[arg-type]
            append(_from_model(model))
        except InvalidInput as exc:
            raise InvalidInput(f"event {position}: {exc}") from exc
    return prepared


def stored_event(values: dict[str, Any]) -> LogEvent:
    """A ``LogEvent`` from already-validated stored values (every field given), without
    validation: reading a long log must not pay for checks its writer already made."""
    return trusted(LogEvent, values)


def event_from_prepared(seq: int, event: PreparedEvent) -> LogEvent:
    """The stored form of a prepared event."""
    return stored_event({
        "ts": event.ts, "level": LogLevel.from_rank(event.level), "message": event.message,
        "data": orjson.loads(event.data), "task_id": event.task_id,
        "attempt_id": event.attempt_id, "kind": event.kind, "seq": seq})


def as_record(record: object) -> LogRecord:
    """A ``LogRecord`` from a model or a dict (``InvalidInput`` naming bad fields)."""
    return coerce(LogRecord, record, what="log record")  # type: ignore[arg-type]


def as_filter(value: object) -> LogFilter:
    """A ``LogFilter`` from ``None``, a model or a dict."""
    if value is None:
        return LogFilter()
    return coerce(LogFilter, value, what="log filter")  # type: ignore[arg-type]


def check_run_id(run_id: object) -> str:
    """A valid run id, or ``InvalidInput``."""
    return validate_id(run_id, what="run id")


def check_after_seq(after_seq: object) -> int:
    """``after_seq`` as an int >= 0 (``None`` means from the start)."""
    if after_seq is None:
        return 0
    if not isinstance(after_seq, int) or isinstance(after_seq, bool) or after_seq < 0:
        raise InvalidInput(f"after_seq must be an int >= 0 or None, not {after_seq!r}")
    return after_seq


def log_not_found(run_id: str) -> NotFound:
    """``NotFound`` for a run with no log record and no events."""
    return NotFound("log", run_id, f"no log for run {run_id!r}")


def newest_first(record: LogRecord) -> tuple[datetime, str]:
    """The sort key of query results (sorted with ``reverse=True``)."""
    return record.started_at, record.run_id


def record_matches(record: LogRecord, flt: LogFilter, max_level: int | None) -> bool:
    """Whether ``record`` (whose run's highest event level rank is ``max_level``) passes."""
    if flt.workflow_id is not None and record.workflow_id != flt.workflow_id:
        return False
    if flt.workflow_version is not None and record.workflow_version != flt.workflow_version:
        return False
    if flt.status is not None and record.status not in flt.status:
        return False
    if flt.started_after is not None and record.started_at < flt.started_after:
        return False
    if flt.started_before is not None and record.started_at >= flt.started_before:
        return False
    if flt.level is not None and (max_level is None or max_level < flt.level.rank):
        return False
    return flt.error_contains is None or (
        record.error is not None and flt.error_contains.lower() in record.error.lower())


def page_records(records: Iterator[tuple[LogRecord, int | None]],
                 flt: LogFilter) -> Page[LogRecord]:
    """Filter, sort newest first and cut one page (for backends that scan in Python)."""
    after = decode_log_cursor(flt.cursor) if flt.cursor else None
    found = [record for record, level in records if record_matches(record, flt, level)
             and (after is None or newest_first(record) < after)]
    found.sort(key=newest_first, reverse=True)
    page = found[:flt.limit]
    more = len(found) > flt.limit
    return Page(items=page, next_cursor=encode_log_cursor(page[-1]) if more else None)


def check_recent(workflow_id: object, version: object, limit: object) -> LogFilter:
    """The filter ``recent`` runs, validated."""
    validate_id(workflow_id, what="workflow id")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 1000:
        raise InvalidInput(f"limit must be an int from 1 to 1000, not {limit!r}")
    return as_filter({"workflow_id": workflow_id, "workflow_version": version, "limit": limit})

