"""The fast message checks agree with the Message model, or step aside."""

from __future__ import annotations

import enum
import math
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from runstore.backends._shared.conversation_batches import digest
from runstore.backends._shared.conversations import message_document, messages_batch
from runstore.errors import InvalidInput
from runstore.models.conversations import Message
from runstore.models.message_check import CheckedMessages, check_line, complete_message
from runstore.models.message_check import message_document as fast_document
from runstore.services.conversations import parse_line


class Color(enum.StrEnum):
    RED = "red"


class Size(enum.IntEnum):
    SMALL = 1


json_leaves = st.none() | st.booleans() | st.integers(-(2**70), 2**70) \
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=5)
odd_leaves = st.sampled_from([(1, 2), uuid.UUID(int=7), datetime(2024, 1, 1), b"x", {1, 2},
                              "\ud800", 2**64, 2**64 - 1, -(2**63) - 1, math.inf,
                              Color.RED, Size.SMALL])
json_values = st.recursive(json_leaves | json_leaves | odd_leaves,
                           lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=3) | st.integers(0, 3), inner,
                                             max_size=3),
                           max_leaves=8)
times = st.none() | st.sampled_from([
    "2024-05-01T12:00:00Z", "2024-05-01T12:00:00.250+00:00", "2024-05-01T14:00:00+02:00",
    "2024-05-01T12:00:00", "2024-05-01", "not a time", "2024-05-01T12:00:00-00:00",
    datetime(2024, 5, 1, 12), datetime(2024, 5, 1, 12, tzinfo=UTC),
    datetime(2024, 5, 1, 12, tzinfo=timezone(timedelta(hours=-3))), 1714564800])
parts = st.fixed_dictionaries(
    {"type": st.sampled_from(["text", "tool_call", "text", ""])},
    optional={"text": st.none() | st.text(max_size=5),
              "data": st.none() | st.dictionaries(st.text(max_size=3), json_values, max_size=3)
              | json_values,
              "attachment_id": st.sampled_from([None, "a1", "a2", ".bad"])})


def mostly(valid: list[Any], invalid: list[Any]) -> st.SearchStrategy[Any]:
    """Valid values nine times in ten, so that both paths are exercised."""
    return st.sampled_from(valid * 3 * len(invalid) + invalid)


messages = st.fixed_dictionaries(
    {"id": mostly(["m0", "m-1", "m.2"], ["", ".x", 5]),
     "conversation_id": mostly(["c1"], ["c 2"]),
     "position": mostly([0, 3, "4", 4.0, True], [-1, 2**31, 4.5]),
     "role": mostly(["user", "assistant"], ["", "r" * 65]),
     "content": st.text(max_size=5) | st.lists(parts, max_size=3)
     | st.integers() | st.just(None)},
    optional={"created_at": times,
              "metadata": st.dictionaries(st.text(max_size=3), json_values, max_size=3)
              | st.dictionaries(st.integers(0, 3), json_values, max_size=1) | st.none(),
              "title": st.just("no such field")})


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages)
def test_the_fast_check_agrees_with_the_model_or_steps_aside(value: dict[str, Any]) -> None:
    try:
        expected = message_document(Message.model_validate(value))
    except ValidationError:
        expected = None
    found = fast_document(dict(value))
    if found is None:
        return  # the model decides
    assert expected is not None, f"accepted what the model rejects: {value!r}"
    assert found == expected
    assert digest(found) == digest(expected)  # (hashing an accepted document cannot fail)
    assert found["created_at"] is None or found["created_at"].utcoffset() == timedelta(0)


@pytest.mark.parametrize("metadata", [{"x": math.nan}, {"x": (1, 2)}, {"x": uuid.UUID(int=1)},
                                      {"x": 2**80}, {1: "a"}, {"x": datetime(2024, 1, 1)},
                                      {"x": "\ud800"}, {"\udfff": 1}, {"x": 2**64},
                                      {"x": -math.inf}])
def test_values_json_cannot_hold_go_to_the_model(metadata: dict[Any, Any]) -> None:
    value = {"id": "m0", "conversation_id": "c1", "position": 0, "role": "user",
             "content": [{"type": "tool_call", "data": metadata}], "metadata": metadata}
    assert fast_document(value) is None


def test_the_common_shape_is_taken_fast() -> None:
    value = {"id": "m0", "conversation_id": "c1", "position": 0, "role": "user",
             "content": [{"type": "text", "text": "hi", "data": None}],
             "created_at": "2024-05-01T12:00:00Z", "metadata": {"tokens": 3}}
    assert fast_document(value) == {
        "id": "m0", "conversation_id": "c1", "position": 0, "role": "user",
        "content": [{"type": "text", "text": "hi"}],
        "created_at": datetime(2024, 5, 1, 12, tzinfo=UTC), "metadata": {"tokens": 3}}


# -- check_line: a whole JSONL line in one pass ------------------------------------------


def _line_text(message: dict[str, Any]) -> bytes | None:
    """The message in a conversation line as JSON, or None when JSON cannot say it."""
    try:
        return orjson.dumps({"id": "c1", "source": "s", "messages": [message]})
    except TypeError:  # orjson.JSONEncodeError
        return None


def _model_document(text: bytes) -> dict[str, Any] | None:
    """The document the model makes of the line's message, or None when it refuses."""
    try:
        message = orjson.loads(text)["messages"][0]
    except (orjson.JSONDecodeError, TypeError):
        return None
    if type(message) is not dict or not complete_message(message, 0, "c1"):
        return None
    try:
        return message_document(Message.model_validate(message))
    except ValidationError:
        return None


def _agrees(text: bytes) -> None:
    found = check_line(text)
    expected = _model_document(text)
    if found is None:
        return  # the model decides
    assert expected is not None, f"accepted what the model rejects: {text!r}"
    (document,) = found["messages"]
    assert type(found["messages"]) is CheckedMessages
    assert document == expected
    assert digest(document) == digest(expected)  # (hashing a checked document cannot fail)
    assert document["created_at"] is None or document["created_at"].utcoffset() == timedelta(0)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages)
def test_the_line_check_agrees_with_the_model_or_steps_aside(value: dict[str, Any]) -> None:
    text = _line_text({k: v for k, v in value.items() if k not in ("id", "position")}
                      if value.get("id") == "m0" else value)
    if text is not None:
        _agrees(text)


@pytest.mark.parametrize("literal", [
    b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e400", b"18446744073709551616",
    b"-9223372036854775809", b"123456789012345678901234567890", b'"\\ud800"',
    b'{"a": 1, "a": 2}', b"18446744073709551615", b"-9223372036854775808", b"-0.0",
    b"1.5e300", b'"\\u00e9\\ud83d\\ude00"', b"[1, [2, {\"b\": null}]]"])
def test_json_literals_in_free_values_agree_with_the_model(literal: bytes) -> None:
    for where in (b'"metadata": {"x": %s}', b'"content": [{"type": "t", "data": {"x": %s}}]'):
        text = (b'{"id": "c1", "messages": [{"role": "user", "content": "hi", '
                + where.replace(b"%s", literal) + b"}]}")
        if b'"content": [' in text:
            text = text.replace(b'"content": "hi", ', b"")
        _agrees(text)


@pytest.mark.parametrize("when", [
    "2024-05-01T12:00:00Z", "2024-05-01T12:00:00.250+00:00", "2024-05-01T12:00:00-00:00",
    "2024-05-01T14:00:00+02:00", "2024-05-01T12:00:00", "2024-05-01", 1714564800, None])
def test_times_in_a_line_agree_with_the_model(when: object) -> None:
    _agrees(orjson.dumps({"id": "c1", "messages": [
        {"role": "user", "content": "hi", "created_at": when}]}))


def test_a_line_in_the_common_shape_is_checked_in_one_pass() -> None:
    found = check_line(b'{"id": "c1", "source": "s", "created_at": "2024-05-01T12:00:00Z", '
                       b'"metadata": {"k": [1]}, "messages": [{"role": "user", "content": "a"}, '
                       b'{"id": "x", "role": "tool", "content": [{"type": "text", "text": "b", '
                       b'"data": null}], "created_at": "2024-05-01T12:00:01Z"}]}')
    assert found is not None
    assert {k: v for k, v in found.items() if k != "messages"} == {
        "id": "c1", "source": "s", "created_at": "2024-05-01T12:00:00Z", "metadata": {"k": [1]}}
    assert found["messages"] == [
        {"id": "m0", "conversation_id": "c1", "position": 0, "role": "user", "content": "a",
         "created_at": None, "metadata": {}},
        {"id": "x", "conversation_id": "c1", "position": 1, "role": "tool",
         "content": [{"type": "text", "text": "b"}],
         "created_at": datetime(2024, 5, 1, 12, 0, 1, tzinfo=UTC), "metadata": {}}]


@pytest.mark.parametrize("text", [
    b"not json", b"[1]", b'{"id": ".bad", "messages": []}', b'{"messages": []}',
    b'{"id": "c1", "messages": [{"conversation_id": "c2", "role": "u", "content": "x"}]}',
    b'{"id": "c1", "messages": [{"role": "u", "content": "x", "title": "?"}]}',
    b'{"id": "c1", "metadata": {"x": NaN}}', b'{"id": "c1", "metadata": null}',
    b'{"id": "c1", "messages": [{"position": 4.0, "role": "u", "content": "x"}]}'])
def test_unusual_lines_go_the_careful_way(text: bytes) -> None:
    assert check_line(text) is None


@pytest.mark.parametrize(("position", "made"), [(4, "m4"), ("4", "m4"), (4.0, "m4.0")])
def test_a_default_message_id_is_made_of_the_position_as_written(position: object,
                                                                   made: str) -> None:
    line = orjson.dumps({"id": "c1", "messages": [
        {"position": position, "role": "u", "content": "x"}]})
    assert parse_line(line).messages[0]["id"] == made


def test_checked_messages_with_one_key_twice_are_refused() -> None:
    found = check_line(b'{"id": "c1", "messages": [{"id": "m", "role": "u", "content": "a"}, '
                       b'{"id": "m", "role": "u", "content": "b"}]}')
    assert found is not None
    with pytest.raises(InvalidInput, match="message 'm' of conversation 'c1' appears twice"):
        messages_batch(found["messages"])
