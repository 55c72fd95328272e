"""A fast check for the common shape of a message given as a plain mapping.

Validating a mapping through the :class:`~runstore.models.Message` model costs a Python
call for every JSON value of its metadata and parts (pydantic's ``JsonValue`` picks its
branch in Python) and for its time; a bulk import spends most of its time there.
:func:`message_document` applies the same rules through a pydantic-core schema without
Python callbacks, plus one JSON round trip for the free-form values, and returns the
record's document in normal form: equal to what ``message_document(record)`` gives
(times are UTC, some in pydantic's zero-offset zone rather than ``datetime.UTC``).

It returns ``None`` for anything it is not sure of; the caller then validates through
the model, which decides and names the problem. Accepting therefore never changes what
is stored: a mapping accepted here is one the model accepts, with the same document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final, NotRequired

import orjson
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError
from typing_extensions import TypedDict  # (pydantic needs this one before 3.12)

from runstore.models.common import ID_PATTERN, ensure_utc

__all__ = ["message_document"]

_CONFIG: Final = ConfigDict(extra="forbid", allow_inf_nan=False)
_Id = Annotated[str, Field(pattern=ID_PATTERN.pattern)]
_Name = Annotated[str, Field(min_length=1, max_length=64)]


class _Part(TypedDict):
    """:class:`~runstore.models.ContentPart`'s fields and constraints."""

    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    type: _Name
    text: NotRequired[str | None]
    data: NotRequired[dict[str, Any] | None]
    attachment_id: NotRequired[_Id | None]


class _Message(TypedDict):
    """:class:`~runstore.models.Message`'s fields and constraints."""

    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    id: _Id
    conversation_id: _Id
    position: Annotated[int, Field(ge=0, lt=2**31)]
    role: _Name
    content: str | list[_Part]
    created_at: NotRequired[datetime | None]
    metadata: NotRequired[dict[str, Any]]


_VALIDATE: Final = TypeAdapter(_Message).validator.validate_python
_UTC_SUFFIXES: Final = ("Z", "+00:00")
# Types orjson would otherwise write as something else (times, dataclasses, subclasses
# of str, int, dict, list) raise instead, so the round trip below sees them.
_PLAIN: Final = (orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
                 | orjson.OPT_PASSTHROUGH_SUBCLASS)


def _plain_json(value: object) -> bool:
    """Whether ``value`` is made of JSON types only and survives a JSON round trip
    unchanged (no NaN, tuples, UUIDs, enums, huge ints, non-string keys)."""
    try:
        return bool(orjson.loads(orjson.dumps(value, option=_PLAIN)) == value)
    except TypeError:  # orjson.JSONEncodeError
        return False


def message_document(value: dict[str, Any]) -> dict[str, Any] | None:
    """The normal-form document of the message ``value``, or ``None`` when only the
    model can tell (see the module docstring)."""
    try:
        document: dict[str, Any] = _VALIDATE(value)  # a new dict: ours to complete
    except ValidationError:
        return None
    content = document["content"]
    metadata = document.setdefault("metadata", {})
    free = [metadata]  # the values only a JSON round trip can vouch for
    if type(content) is list:  # (a new list: ours to complete too)
        for index, given in enumerate(content):
            part = given
            if None in part.values():  # unset, as the model's document leaves it
                part = content[index] = {k: v for k, v in given.items() if v is not None}
            if "data" in part:
                free.append(part["data"])
    if (metadata or len(free) > 1) and not _plain_json(free):
        return None
    created_at = document.get("created_at")
    if created_at is None:
        document["created_at"] = None
    elif not (type(text := value["created_at"]) is str and text.endswith(_UTC_SUFFIXES)):
        document["created_at"] = ensure_utc(created_at)
    # else: already UTC, in pydantic's zero-offset zone (equal to the model's datetime.UTC)
    return document
