"""Shared value types and helpers for records: JSON values, ids, hashes, times, pages."""

from __future__ import annotations

import math
import os
import re
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, JsonValue, ValidationError

from runstore.errors import InvalidInput

__all__ = [
    "ID_PATTERN",
    "JsonObject",
    "JsonValue",
    "Page",
    "Record",
    "canonical_json",
    "coerce",
    "content_hash",
    "ensure_utc",
    "new_id",
    "trusted",
    "trusted_list",
    "utcnow",
    "validate_id",
]

JsonObject = dict[str, JsonValue]

ID_PATTERN = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class Record(BaseModel):
    """Base of every stored record: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Page(BaseModel, Generic[T]):
    """One page of a paginated listing; ``next_cursor`` is ``None`` on the last page."""

    model_config = ConfigDict(frozen=True)

    items: list[T]
    next_cursor: str | None = None


# BaseModel's slot setters, called straight on their descriptors: building a model from
# trusted values (rows read back from storage) through them costs a fraction of
# ``model_construct``.
_new = object.__new__
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__
# Each frozen model's field names, shared by every instance built here as its set of
# fields given: frozen models never add to it, and copies copy it.
_FIELD_NAMES: dict[type[Any], set[str]] = {}


def _field_names(cls: type[BaseModel]) -> set[str]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        assert cls.model_config.get("frozen"), f"{cls.__name__} is not frozen"
        names = _FIELD_NAMES[cls] = set(cls.__pydantic_fields__)
    return names


def trusted(cls: type[M], fields: dict[str, Any],
            private: dict[str, Any] | None = None) -> M:
    """An instance of the frozen model ``cls`` from values already validated, without
    validation.

    The hot path of reading stored records back: ``fields`` must hold every field of
    ``cls`` with a value of the right type (it becomes the instance's ``__dict__``), and
    ``private`` the private attributes of a model that has any.
    """
    record = _new(cls)
    _set_dict(record, fields)
    _set_fields_set(record, _field_names(cls))
    _set_extra(record, None)
    _set_private(record, private)
    return record


def trusted_list(cls: type[M], rows: Iterable[dict[str, Any]]) -> list[M]:
    """``trusted`` for each of ``rows`` (fields only), for the loops that read many
    records of one model back: a log's events, a page of records."""
    names = _field_names(cls)
    new, set_dict, set_fields, set_extra, set_private = (
        _new, _set_dict, _set_fields_set, _set_extra, _set_private)
    records: list[M] = []
    append = records.append
    for fields in rows:
        record = new(cls)
        set_dict(record, fields)
        set_fields(record, names)
        set_extra(record, None)
        set_private(record, None)
        append(record)
    return records


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def ensure_utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime (naive values are taken as UTC)."""
    if value.tzinfo is UTC:
        return value
    offset = value.utcoffset()
    if offset is None:
        return value.replace(tzinfo=UTC)
    return value.replace(tzinfo=UTC) if not offset else value.astimezone(UTC)


def validate_id(value: object, *, what: str = "id") -> str:
    """Check a record id: 1-128 letters, digits, ``-``, ``_`` or ``.``, not starting with ``.``."""
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise InvalidInput(
            f"invalid {what} {value!r}: use 1 to 128 letters, digits, '-', '_' or '.', "
            "not starting with '.'"
        )
    return value


def _check_finite(value: object, path: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(f"{path}: {value} is not a JSON number")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInput(f"{path}: object key {key!r} is not a string")
            _check_finite(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_finite(item, f"{path}[{index}]")


def canonical_json(value: object, *, what: str = "value") -> bytes:
    """Serialize ``value`` as canonical JSON: sorted keys, no spaces, UTF-8.

    Raises :class:`InvalidInput` for anything that is not plain JSON (NaN, non-string
    keys, arbitrary objects), so a hash never depends on a lossy encoding.
    """
    _check_finite(value, what)
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError as exc:
        raise InvalidInput(f"{what} is not JSON-serializable: {exc}") from exc


def content_hash(value: object, *, what: str = "value") -> str:
    """The sha256 hex digest of the canonical JSON of ``value``."""
    return sha256(canonical_json(value, what=what)).hexdigest()


def coerce(model: type[M], value: M | Mapping[str, Any], *, what: str | None = None) -> M:
    """Accept a model instance or a plain mapping with the same fields.

    Validation errors become :class:`InvalidInput` naming the offending fields.
    """
    if isinstance(value, model):
        return value
    if not isinstance(value, Mapping):
        raise InvalidInput(
            f"{what or model.__name__} must be a {model.__name__} or a dict, "
            f"not {type(value).__name__}"
        )
    try:
        return model.model_validate(dict(value))
    except ValidationError as exc:
        raise InvalidInput(_describe(what or model.__name__, exc)) from exc


def _describe(what: str, exc: ValidationError) -> str:
    problems = []
    for error in exc.errors()[:5]:
        location = ".".join(str(part) for part in error["loc"]) or "(record)"
        problems.append(f"{location}: {error['msg']}")
    return f"invalid {what}: " + "; ".join(problems)


class _IdClock:
    """Millisecond clock plus a counter, so ids from one process never go backwards."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0
        self._counter = 0

    def tick(self) -> tuple[int, int]:
        with self._lock:
            now_ms = time.time_ns() // 1_000_000
            if now_ms <= self._last_ms:
                self._counter += 1
            else:
                self._last_ms, self._counter = now_ms, 0
            return self._last_ms, self._counter


_clock = _IdClock()


def new_id(prefix: str = "") -> str:
    """A unique id that sorts by creation time: 12 hex digits of milliseconds, a
    per-process counter, and random bits (like a ULID, readable in hex)."""
    now_ms, counter = _clock.tick()
    return f"{prefix}{now_ms:012x}{counter:04x}{os.urandom(6).hex()}"
