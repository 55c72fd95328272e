"""The fast message check agrees with the Message model, or steps aside."""

from __future__ import annotations

import enum
import math
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from runstore.backends._shared.conversation_batches import digest
from runstore.backends._shared.conversations import message_document
from runstore.backends._shared.message_shape import message_document as fast_document
from runstore.models.conversations import Message


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
