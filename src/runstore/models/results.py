"""Cached task results and failures."""

from __future__ import annotations

import traceback as tb
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field, PrivateAttr, field_validator

from runstore.models.artifacts import ArtifactRef
from runstore.models.common import JsonObject, Record, ensure_utc, trusted

__all__ = ["RESULT_KEY_MAX", "ResultError", "ResultRecord", "ResultStatus"]

RESULT_KEY_MAX = 512


class ResultStatus(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"


class ResultError(Record):
    """A failure: the exception type, its message and the traceback text (if any)."""

    type: str = Field(min_length=1, max_length=255)
    message: str
    traceback: str | None = None

    @classmethod
    def from_error(cls, error: BaseException | str) -> ResultError:
        """From an exception (type, message, formatted traceback) or a plain message."""
        if isinstance(error, str):
            return cls(type="Error", message=error)
        kind = type(error)
        name = kind.__qualname__ if kind.__module__ == "builtins" \
            else f"{kind.__module__}.{kind.__qualname__}"
        text = "".join(tb.format_exception(error)) if error.__traceback__ else None
        return cls(type=name, message=str(error), traceback=text)


class ResultRecord(Record):
    """One cached result: a success with a value, or a failure with an error.

    ``value`` is decoded on first access (and then kept): a large value lives in the
    artifact store (``artifact`` is its ref) and is read only then. ``size`` and
    ``content_hash`` describe the encoded bytes (sha256); both are 0 and ``None`` for a
    failure. ``serializer`` names the encoding (``json``, ``bytes``, ``arrow``...).
    """

    key: str = Field(min_length=1)
    status: ResultStatus
    serializer: str | None = None
    size: int = Field(default=0, ge=0)
    content_hash: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    artifact: ArtifactRef | None = None
    error: ResultError | None = None
    metadata: JsonObject = Field(default_factory=dict)
    created_at: datetime

    _loader: Callable[[], Any] | None = PrivateAttr(default=None)
    _value: Any = PrivateAttr(default=None)
    _loaded: bool = PrivateAttr(default=False)

    @field_validator("created_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return ensure_utc(value)

    @property
    def ok(self) -> bool:
        """True for a success."""
        return self.status is ResultStatus.SUCCESS

    @property
    def value(self) -> Any:
        """The decoded value of a success (``None`` for a failure).

        Raises ``InvalidInput`` when the serializer is refused (pickle on a store
        opened without ``allow_pickle=True``) and ``CorruptRecord`` when the stored
        bytes no longer decode or match their hash.
        """
        private = self.__pydantic_private__  # a slot: cheaper than pydantic's __getattr__
        assert private is not None
        if not private["_loaded"]:
            loader = private["_loader"]
            private["_value"] = None if loader is None else loader()
            private["_loaded"] = True
            private["_loader"] = None
        return private["_value"]

    @classmethod
    def trusted(cls, fields: dict[str, Any], *, loader: Callable[[], Any] | None = None,
                value: Any = None) -> ResultRecord:
        """A record from fields already validated (read back from storage), built
        without validation: the hot path of a cache read. ``fields`` must name every
        field with a value of the right type; ``value`` is the decoded value, or
        ``loader`` decodes it on first access."""
        return trusted(cls, fields,
                       {"_loader": loader, "_value": value, "_loaded": loader is None})

    def __eq__(self, other: object) -> bool:
        """Records are equal when their fields are (whether ``value`` was read or not)."""
        if not isinstance(other, ResultRecord):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]

    def with_loader(self, loader: Callable[[], Any] | None, value: Any = None) -> ResultRecord:
        """Attach what decodes the value, or the decoded ``value`` itself (backends call
        this; returns ``self``)."""
        # Straight into the slot: BaseModel.__setattr__ would cost more than the read.
        object.__setattr__(self, "__pydantic_private__",
                           {"_loader": loader, "_value": value, "_loaded": loader is None})
        return self

