"""Named serializers for result values: ``json`` (default), ``bytes``, ``arrow``, ``pickle``.

Third parties add serializers through the entry-point group ``runstore.serializers``
(``name = "package.module:object"``, an object with ``name``, ``media_type``,
``executes_code``, ``dumps`` and ``loads``) or at run time with
:func:`register_serializer`. A serializer whose ``loads`` can run code
(``executes_code = True``, like pickle) is refused unless the store was opened with
``allow_pickle=True``.
"""

from __future__ import annotations

import json
import math
import pickle
import re
import threading
import warnings
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any, Final, Protocol, runtime_checkable

import orjson

from runstore.errors import InvalidInput

__all__ = [
    "ENTRY_POINT_GROUP",
    "Serializer",
    "get_serializer",
    "known_serializers",
    "register_serializer",
]

ENTRY_POINT_GROUP: Final = "runstore.serializers"


@runtime_checkable
class Serializer(Protocol):
    """Turns a value into bytes and back. ``loads(dumps(v))`` must equal ``v``."""

    name: str
    media_type: str
    executes_code: bool

    def dumps(self, value: Any) -> bytes: ...

    def loads(self, data: bytes) -> Any: ...


# An integer literal this long may not fit 64 bits, which orjson reads back as a float.
_LONG_NUMBER: Final = re.compile(rb"\d{19}")
# Refuse what JSON cannot give back as it was (datetimes, dataclasses, subclasses).
_STRICT: Final = (orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
                  | orjson.OPT_PASSTHROUGH_SUBCLASS)


class JsonSerializer:
    """Plain JSON, exact: big integers, floats and unicode round-trip unchanged."""

    name = "json"
    media_type = "application/json"
    executes_code = False

    def dumps(self, value: Any) -> bytes:
        try:
            data = orjson.dumps(value, option=_STRICT)
        except TypeError as exc:
            if "64-bit" not in str(exc):
                raise InvalidInput(f"value is not JSON-serializable: {exc}") from exc
            try:  # integers beyond 64 bits: the standard library writes them exactly
                return json.dumps(value, ensure_ascii=False, allow_nan=False,
                                  separators=(",", ":")).encode()
            except (TypeError, ValueError) as exc2:
                raise InvalidInput(f"value is not JSON-serializable: {exc2}") from exc2
        if b"null" in data:
            # orjson writes NaN and infinities as null; only then is a walk needed.
            _check_finite(value, "value")
        return data

    def loads(self, data: bytes) -> Any:
        if _LONG_NUMBER.search(data):
            return json.loads(data)
        return orjson.loads(data)


class BytesSerializer:
    """Raw bytes, stored as they are."""

    name = "bytes"
    media_type = "application/octet-stream"
    executes_code = False

    def dumps(self, value: Any) -> bytes:
        if isinstance(value, bytes):
            return value
        if isinstance(value, bytearray | memoryview):
            return bytes(value)
        raise InvalidInput(f"the bytes serializer takes bytes, not {type(value).__name__}")

    def loads(self, data: bytes) -> Any:
        return data


class ArrowSerializer:
    """A ``pyarrow.Table``, stored as Parquet (``pip install 'runstore[arrow]'``)."""

    name = "arrow"
    media_type = "application/vnd.apache.parquet"
    executes_code = False

    @staticmethod
    def _modules() -> tuple[Any, Any]:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError as exc:
            raise InvalidInput(
                "the arrow serializer needs pyarrow: pip install 'runstore[arrow]'") from exc
        return pa, pq

    def dumps(self, value: Any) -> bytes:
        pa, pq = self._modules()
        if isinstance(value, pa.RecordBatch):
            value = pa.Table.from_batches([value])
        if not isinstance(value, pa.Table):
            raise InvalidInput(
                f"the arrow serializer takes a pyarrow.Table, not {type(value).__name__}")
        sink = pa.BufferOutputStream()
        pq.write_table(value, sink)
        return bytes(sink.getvalue().to_pybytes())

    def loads(self, data: bytes) -> Any:
        pa, pq = self._modules()
        return pq.read_table(pa.BufferReader(data))


class PickleSerializer:
    """Python pickle: any picklable value. Loading a pickle runs code, so it is off
    unless the store was opened with ``allow_pickle=True``."""

    name = "pickle"
    media_type = "application/x-python-pickle"
    executes_code = True

    def dumps(self, value: Any) -> bytes:
        try:
            return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise InvalidInput(f"value cannot be pickled: {exc}") from exc

    def loads(self, data: bytes) -> Any:
        return pickle.loads(data)  # only reached with allow_pickle=True


_BUILTIN: Final[Mapping[str, Serializer]] = {
    s.name: s for s in (JsonSerializer(), BytesSerializer(), ArrowSerializer(), PickleSerializer())
}
_registered: dict[str, Serializer] = {}
_from_entry_points: dict[str, Serializer] = {}
_entry_points_loaded = threading.Event()
_lock = threading.Lock()


def _check_finite(value: Any, path: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(f"{path}: {value} is not a JSON number")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_finite(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_finite(item, f"{path}[{index}]")


def register_serializer(serializer: Serializer) -> None:
    """Add (or replace) a serializer at run time; built-in names cannot be replaced."""
    if not isinstance(serializer, Serializer):
        raise InvalidInput("a serializer needs name, media_type, executes_code, dumps and loads")
    if serializer.name in _BUILTIN:
        raise InvalidInput(f"serializer {serializer.name!r} is built in and cannot be replaced")
    with _lock:
        _registered[serializer.name] = serializer


def _entry_point_serializers() -> dict[str, Serializer]:
    with _lock:
        if not _entry_points_loaded.is_set():
            found = _from_entry_points
            for ep in entry_points(group=ENTRY_POINT_GROUP):
                if ep.name in _BUILTIN:
                    warnings.warn(f"ignoring serializer entry point {ep.value!r}: "
                                  f"{ep.name!r} is built in", stacklevel=3)
                    continue
                try:
                    loaded = ep.load()
                    candidate = loaded() if isinstance(loaded, type) else loaded
                except Exception as exc:
                    warnings.warn(f"serializer entry point {ep.value!r} failed to load: {exc}",
                                  stacklevel=3)
                    continue
                if isinstance(candidate, Serializer):
                    found[ep.name] = candidate
            _entry_points_loaded.set()
        return _from_entry_points


def known_serializers() -> list[str]:
    """Every serializer name that can be used, sorted."""
    return sorted({*_BUILTIN, *_registered, *_entry_point_serializers()})


def get_serializer(name: str, *, allow_pickle: bool) -> Serializer:
    """The serializer called ``name``; ``InvalidInput`` when unknown or refused."""
    if not isinstance(name, str):
        raise InvalidInput(f"serializer must be a name, not {type(name).__name__}")
    found = _BUILTIN.get(name) or _registered.get(name) or _entry_point_serializers().get(name)
    if found is None:
        raise InvalidInput(
            f"unknown serializer {name!r}; known: {', '.join(known_serializers())}")
    if found.executes_code and not allow_pickle:
        raise InvalidInput(
            f"serializer {name!r} is refused: loading its data can run arbitrary code; "
            "open the store with allow_pickle=True if you trust every writer")
    return found


