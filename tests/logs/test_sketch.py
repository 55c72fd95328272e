"""The quantile sketch: relative error within 1% of exact quantiles, mergeable, storable."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runstore.errors import InvalidInput
from runstore.services.sketch import QuantileSketch

values = st.lists(st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False),
                  min_size=1, max_size=400)
quantiles = st.floats(min_value=0, max_value=1)


def exact(data: list[float], q: float) -> float:
    return sorted(data)[math.floor(q * (len(data) - 1))]


def within_one_percent(estimate: float | None, truth: float) -> bool:
    assert estimate is not None
    if truth <= 1e-9:
        return estimate <= 1e-9
    return abs(estimate - truth) <= 0.01 * truth


@given(values, quantiles)
@settings(max_examples=300, deadline=None)
def test_quantiles_are_within_one_percent(data: list[float], q: float) -> None:
    sketch = QuantileSketch()
    sketch.extend(data)
    assert sketch.count == len(data)
    assert within_one_percent(sketch.quantile(q), exact(data, q))


@given(values, values, quantiles)
@settings(max_examples=200, deadline=None)
def test_merged_sketches_answer_like_one(left: list[float], right: list[float],
                                         q: float) -> None:
    a, b = QuantileSketch(), QuantileSketch()
    a.extend(left)
    b.extend(right)
    a.merge(b)
    assert a.count == len(left) + len(right)
    assert within_one_percent(a.quantile(q), exact(left + right, q))


@given(values)
@settings(max_examples=100, deadline=None)
def test_dict_round_trip_is_exact_and_compact(data: list[float]) -> None:
    sketch = QuantileSketch()
    sketch.extend(data)
    again = QuantileSketch.from_dict(sketch.to_dict())
    assert again == sketch
    assert [again.quantile(q) for q in (0, 0.5, 0.95, 1)] == [
        sketch.quantile(q) for q in (0, 0.5, 0.95, 1)]


def test_a_large_sketch_stays_small() -> None:
    sketch = QuantileSketch()
    sketch.extend(0.001 * 1.0001 ** n for n in range(100_000))  # 0.001 s .. ~22 s
    stored = sketch.to_dict()
    assert len(stored["b"]) < 600
    assert within_one_percent(sketch.quantile(0.95), 0.001 * 1.0001 ** 94_999)


def test_empty_and_bad_input() -> None:
    sketch = QuantileSketch()
    assert sketch.quantile(0.5) is None
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(InvalidInput):
            sketch.add(bad)
    with pytest.raises(InvalidInput):
        sketch.quantile(1.5)
    with pytest.raises(InvalidInput):
        sketch.merge(QuantileSketch(0.05))
    with pytest.raises(InvalidInput):
        QuantileSketch.from_dict({"a": 0.01, "n": 3, "z": 1})
