"""Fast checks of messages given as plain data: a mapping, or a line of JSON.

Validating a mapping through the :class:`~runstore.models.Message` model costs a Python
call for every JSON value of its metadata and parts (pydantic's ``JsonValue`` picks its
branch in Python) and for its time; a bulk import would spend most of its time there.
Both checks here apply the model's rules through pydantic-core schemas without Python
callbacks and return the record's document in normal form: equal to what
``message_document(record)`` gives (times are UTC, in pydantic's zero-offset zone rather
than ``datetime.UTC``).

- :func:`message_document` checks one mapping, plus one JSON round trip for its
  free-form values (only that can vouch for values Python made).
- :func:`check_line` checks a whole line of a conversations JSONL file in one pass
  over its bytes: what was parsed from JSON is JSON, so the free-form values need no
  round trip, only the bounds JSON has and Python lacks (64-bit integers, finite
  floats). Its messages come back as :class:`CheckedMessages`.

Both return ``None`` for anything they are not sure of; the caller then validates
through the model, which decides and names the problem. Accepting therefore never
changes what is stored: what is accepted here the model accepts, with the same document.
"""

from __future__ import annotations

from typing import Any, Final

import orjson
from pydantic import ValidationError
from pydantic_core import CoreSchema, SchemaValidator
from pydantic_core import core_schema as cs

from runstore.models.common import ID_PATTERN, ensure_utc

__all__ = ["CheckedMessages", "check_line", "complete_message", "message_document"]


class CheckedMessages(list[dict[str, Any]]):
    """Message documents that :func:`check_line` checked and put in normal form.

    ``save_messages`` takes them as they are, without checking them again: only
    runstore's own import makes them (build :class:`~runstore.models.Message` records
    or plain mappings instead, which are checked).
    """


def _json_value() -> CoreSchema:
    """A JSON value that JSON can hold and Python cannot break: finite floats and
    64-bit integers (what orjson writes; pydantic's ``JsonValue`` allows the same)."""
    return cs.nullable_schema(cs.union_schema([
        cs.str_schema(strict=True),
        cs.int_schema(strict=True, ge=-(2**63), lt=2**64),
        cs.float_schema(strict=True, allow_inf_nan=False),
        cs.bool_schema(strict=True),
        cs.dict_schema(cs.str_schema(), cs.definition_reference_schema("json")),
        cs.list_schema(cs.definition_reference_schema("json")),
    ], mode="left_to_right"), ref="json")


def _message_schema(*, in_line: bool) -> CoreSchema:
    """:class:`~runstore.models.Message`'s fields and constraints. ``in_line``: as a JSONL
    line gives them (ids and position may be left out; free-form values parsed from
    JSON, checked against JSON's bounds) rather than as a mapping from Python (free-form
    values taken as they are, for the caller's round trip)."""
    ident = cs.str_schema(pattern=ID_PATTERN.pattern)
    name = cs.str_schema(min_length=1, max_length=64)
    free = cs.dict_schema(cs.str_schema(), cs.definition_reference_schema("json")
                          if in_line else cs.any_schema())
    part = cs.typed_dict_schema({
        "type": cs.typed_dict_field(name),
        "text": cs.typed_dict_field(cs.nullable_schema(cs.str_schema()), required=False),
        "data": cs.typed_dict_field(cs.nullable_schema(free), required=False),
        "attachment_id": cs.typed_dict_field(cs.nullable_schema(ident), required=False),
    }, extra_behavior="forbid")
    # In a line, a time must say it is UTC; any other goes to the model, which converts.
    when = cs.datetime_schema(tz_constraint=0) if in_line else cs.datetime_schema()
    return cs.typed_dict_schema({
        "id": cs.typed_dict_field(ident, required=not in_line),
        "conversation_id": cs.typed_dict_field(ident, required=not in_line),
        # (strict in a line: "m<position>" must be made of the position as written)
        "position": cs.typed_dict_field(cs.int_schema(ge=0, lt=2**31, strict=in_line),
                                        required=not in_line),
        "role": cs.typed_dict_field(name),
        "content": cs.typed_dict_field(cs.union_schema([cs.str_schema(), cs.list_schema(part)])),
        "created_at": cs.typed_dict_field(cs.nullable_schema(when), required=False),
        "metadata": cs.typed_dict_field(free, required=False),
    }, extra_behavior="forbid", config=cs.CoreConfig(allow_inf_nan=False))


_VALIDATE: Final = SchemaValidator(_message_schema(in_line=False)).validate_python
# A conversation line: its messages and metadata checked, its other fields as parsed
# (the Conversation model checks those).
_LINE: Final = SchemaValidator(cs.definitions_schema(cs.typed_dict_schema({
    "messages": cs.typed_dict_field(cs.nullable_schema(cs.list_schema(
        _message_schema(in_line=True))), required=False),
    "metadata": cs.typed_dict_field(cs.dict_schema(
        cs.str_schema(), cs.definition_reference_schema("json")), required=False),
}, extra_behavior="allow"), [_json_value()])).validate_json
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


def _compact_parts(content: list[dict[str, Any]]) -> list[Any]:
    """Drop each part's ``None`` values, as the model's document leaves them unset (in
    place: the parts are new dicts, ours to complete); returns the parts' free-form
    ``data`` values."""
    free = []
    for index, given in enumerate(content):
        part = given
        if None in part.values():
            part = content[index] = {k: v for k, v in given.items() if v is not None}
        if "data" in part:
            free.append(part["data"])
    return free


def message_document(value: dict[str, Any]) -> dict[str, Any] | None:
    """The normal-form document of the message ``value``, or ``None`` when only the
    model can tell (see the module docstring)."""
    try:
        document: dict[str, Any] = _VALIDATE(value)  # a new dict: ours to complete
    except ValidationError:
        return None
    content = document["content"]
    metadata = document.setdefault("metadata", {})
    free = [metadata, *_compact_parts(content)] if type(content) is list else [metadata]
    if (metadata or len(free) > 1) and not _plain_json(free):
        return None
    created_at = document.get("created_at")
    if created_at is None:
        document["created_at"] = None
    elif not (type(text := value["created_at"]) is str and text.endswith(_UTC_SUFFIXES)):
        document["created_at"] = ensure_utc(created_at)
    # else: already UTC, in pydantic's zero-offset zone (equal to the model's datetime.UTC)
    return document


def complete_message(message: dict[str, Any], index: int, conversation_id: object) -> bool:
    """Fill in what a line may leave out of its message at ``index``, in place: the
    conversation's id, ``position`` (the index) and ``id`` (``m<position>``). False when
    the message names another conversation."""
    if message.setdefault("conversation_id", conversation_id) != conversation_id:
        return False
    if "id" not in message:
        message["id"] = f"m{message.setdefault('position', index)}"
    elif "position" not in message:
        message["position"] = index
    return True


def check_line(line: bytes | str) -> dict[str, Any] | None:
    """A JSONL conversation line checked in one pass (see the module docstring): the
    line's object, its ``messages`` (if any) as :class:`CheckedMessages` completed with
    :func:`complete_message`. ``None`` when anything is unusual: not JSON, a message
    or the metadata the rules reject, a time not in UTC, an invalid conversation id."""
    try:
        document: dict[str, Any] = _LINE(line)
    except ValidationError:
        return None
    cid = document.get("id")
    if type(cid) is not str or not ID_PATTERN.fullmatch(cid):
        return None
    messages = CheckedMessages(document.pop("messages", None) or ())
    for index, message in enumerate(messages):
        if not complete_message(message, index, cid):
            return None
        content = message["content"]
        if type(content) is list:
            _compact_parts(content)
        message.setdefault("created_at", None)
        message.setdefault("metadata", {})
    document["messages"] = messages
    return document
