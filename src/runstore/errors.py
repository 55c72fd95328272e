"""The runstore error hierarchy.

Every error a caller can see is a :class:`RunstoreError`. Subclasses also derive from
the closest built-in (``LookupError``, ``ValueError``, ``NotImplementedError``,
``TimeoutError``) so code that only knows the built-ins still catches them. Driver
exceptions are translated at the backend boundary and chained with ``from``.
"""

from __future__ import annotations

from collections.abc import Hashable


class RunstoreError(Exception):
    """Base class of every error runstore raises."""


class NotFound(RunstoreError, LookupError):
    """A record that was asked for does not exist."""

    def __init__(self, kind: str, key: Hashable, message: str | None = None) -> None:
        self.kind = kind
        self.key = key
        super().__init__(message or f"{kind} {_render_key(key)} not found")


class AlreadyExists(RunstoreError):
    """A record with the same key is already stored and may not be replaced."""

    def __init__(self, kind: str, key: Hashable, message: str | None = None) -> None:
        self.kind = kind
        self.key = key
        super().__init__(message or f"{kind} {_render_key(key)} already exists")


class Immutable(RunstoreError):
    """An attempt to change a record that can never change (a workflow version)."""


class Conflict(RunstoreError):
    """A compare-and-set lost, or a state transition is not allowed."""


class InvalidInput(RunstoreError, ValueError):
    """An argument or record failed validation; the message names the field."""


class CorruptRecord(RunstoreError):
    """Stored data no longer parses or no longer matches its hash.

    ``location`` names the file path or the table and key of the damaged record.
    """

    def __init__(self, location: str, reason: str) -> None:
        self.location = location
        self.reason = reason
        super().__init__(f"corrupt record at {location}: {reason}")


class SchemaMismatch(RunstoreError):
    """The stored schema is not the one this version of runstore expects.

    ``found`` and ``expected`` are schema revisions; ``fix`` is the command to run.
    """

    def __init__(self, url: str, found: str | None, expected: str, fix: str) -> None:
        self.url = url
        self.found = found
        self.expected = expected
        self.fix = fix
        super().__init__(
            f"{url} is at schema revision {found or 'none'}, this runstore expects "
            f"{expected}; {fix}"
        )


class BackendUnavailable(RunstoreError):
    """A backend cannot be reached or loaded; ``url`` has its password masked."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")


class UnsupportedOperation(RunstoreError, NotImplementedError):
    """The backend does not have the capability the operation needs."""


class LockTimeout(RunstoreError, TimeoutError):
    """A named lock could not be taken within the timeout."""

    def __init__(self, name: str, timeout: float | None) -> None:
        self.name = name
        self.timeout = timeout
        super().__init__(f"lock {name!r} not acquired within {timeout} seconds")


def _render_key(key: Hashable) -> str:
    if isinstance(key, tuple):
        return " ".join(repr(part) for part in key)
    return repr(key)


__all__ = [
    "AlreadyExists",
    "BackendUnavailable",
    "Conflict",
    "CorruptRecord",
    "Immutable",
    "InvalidInput",
    "LockTimeout",
    "NotFound",
    "RunstoreError",
    "SchemaMismatch",
    "UnsupportedOperation",
]
