"""URL scheme -> backend class: runtime registrations, then built-ins, then entry points."""

from __future__ import annotations

import importlib
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import MappingProxyType
from typing import Final, cast

from runstore.errors import BackendUnavailable
from runstore.ports.store import BackendFactory
from runstore.registry.url import StoreURL

__all__ = ["ENTRY_POINT_GROUP", "BackendSpec", "known_schemes", "load_backend", "register_backend"]

ENTRY_POINT_GROUP: Final = "runstore.backends"


@dataclass(frozen=True, slots=True)
class BackendSpec:
    """Where a backend lives (``"package.module:Class"``) and the extra that installs it."""

    target: str
    extra: str | None = None


_BUILTIN: Final[Mapping[str, BackendSpec]] = MappingProxyType({
    "duckdb": BackendSpec("runstore.backends.sql:SqlBackend", extra="duckdb"),
    "file": BackendSpec("runstore.backends.files:FileBackend"),
    "mariadb": BackendSpec("runstore.backends.sql:SqlBackend", extra="mysql"),
    "memory": BackendSpec("runstore.backends.memory:MemoryBackend"),
    "mysql": BackendSpec("runstore.backends.sql:SqlBackend", extra="mysql"),
    "postgres": BackendSpec("runstore.backends.sql:SqlBackend", extra="postgres"),
    "postgresql": BackendSpec("runstore.backends.sql:SqlBackend", extra="postgres"),
    "sqlite": BackendSpec("runstore.backends.sql:SqlBackend"),
})

_registered: dict[str, BackendSpec] = {}
_entry_points: dict[str, BackendSpec] = {}
_entry_points_loaded = threading.Event()
_lock = threading.Lock()


def register_backend(scheme: str, target: str) -> None:
    """Register ``"package.module:Class"`` for ``scheme`` at run time (wins over built-ins)."""
    with _lock:
        _registered[scheme.lower()] = BackendSpec(target)


def _load_entry_points() -> dict[str, BackendSpec]:
    with _lock:
        if not _entry_points_loaded.is_set():
            for ep in entry_points(group=ENTRY_POINT_GROUP):
                if ep.name in _BUILTIN:
                    warnings.warn(
                        f"ignoring entry point {ep.value!r}: scheme {ep.name!r} is built in",
                        stacklevel=3,
                    )
                    continue
                _entry_points[ep.name.lower()] = BackendSpec(ep.value)
            _entry_points_loaded.set()
        return _entry_points


def known_schemes() -> list[str]:
    """Every scheme that can be opened, sorted."""
    return sorted({*_registered, *_BUILTIN, *_load_entry_points()})


def load_backend(url: StoreURL) -> BackendFactory:
    """The backend class for ``url``; ``BackendUnavailable`` if unknown or not installed."""
    name = url.backend
    spec = _registered.get(name) or _BUILTIN.get(name) or _load_entry_points().get(name)
    if spec is None:
        raise BackendUnavailable(
            url.render(),
            f"unknown scheme {url.scheme!r}; known schemes: {', '.join(known_schemes())}",
        )
    module_name, _, attribute = spec.target.partition(":")
    try:
        module = importlib.import_module(module_name)
        return cast(BackendFactory, getattr(module, attribute))
    except (ImportError, AttributeError) as exc:
        hint = f"; install it with: pip install 'runstore[{spec.extra}]'" if spec.extra else ""
        raise BackendUnavailable(
            url.render(), f"backend {spec.target!r} could not be loaded ({exc}){hint}"
        ) from exc
