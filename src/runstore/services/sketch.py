"""A mergeable quantile sketch with bounded relative error (DDSketch-style).

Values (non-negative: durations, sizes) fall into logarithmic buckets
``(gamma**(i-1), gamma**i]`` with ``gamma = (1 + a) / (1 - a)``. A quantile is answered
with the bucket's midpoint ``2 * gamma**i / (gamma + 1)``, which is within relative
error ``a`` of every value in the bucket, so the answer is within ``a`` of the exact
quantile (the value at rank ``floor(q * (count - 1))``). Two sketches with the same
accuracy merge by adding bucket counts, so aggregates can be combined across versions
and days without rereading any record. Stored as a small JSON object.

Reference: Masson, Rim and Lee, "DDSketch: a fast and fully-mergeable quantile sketch
with relative-error guarantees", VLDB 2019.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Final, Self

from runstore.errors import InvalidInput

__all__ = ["DEFAULT_ACCURACY", "QuantileSketch"]

DEFAULT_ACCURACY: Final = 0.01
# Values at or below this count as zero (bucket indexes would be astronomically negative).
_MIN_VALUE: Final = 1e-9
# Above this many buckets the lowest ones are folded together (only low quantiles lose
# accuracy, and only for data spanning more than ~40 orders of magnitude).
_MAX_BUCKETS: Final = 4096
# Keep a hair under the advertised accuracy so float rounding at bucket edges never
# pushes an answer past it.
_SAFETY: Final = 0.999


class QuantileSketch:
    """Counts of non-negative values in log buckets; ``merge``, ``quantile``, ``count``."""

    __slots__ = ("_buckets", "_gamma", "_log_gamma", "accuracy", "count", "max", "min",
                 "zero_count")

    def __init__(self, accuracy: float = DEFAULT_ACCURACY) -> None:
        if not 0 < accuracy < 1:
            raise InvalidInput(f"sketch accuracy must be between 0 and 1, not {accuracy}")
        self.accuracy = accuracy
        inner = accuracy * _SAFETY
        self._gamma = (1 + inner) / (1 - inner)
        self._log_gamma = math.log(self._gamma)
        self._buckets: dict[int, int] = {}
        self.zero_count = 0
        self.count = 0
        self.min = math.inf
        self.max = -math.inf

    # -- writing ---------------------------------------------------------------------------

    def add(self, value: float, weight: int = 1) -> None:
        """Record ``value`` (``weight`` times)."""
        if not math.isfinite(value) or value < 0:
            raise InvalidInput(f"a sketch takes finite non-negative values, not {value}")
        if weight < 1:
            raise InvalidInput(f"weight must be at least 1, not {weight}")
        if value <= _MIN_VALUE:
            self.zero_count += weight
        else:
            index = math.ceil(math.log(value) / self._log_gamma)
            self._buckets[index] = self._buckets.get(index, 0) + weight
            if len(self._buckets) > _MAX_BUCKETS:
                self._collapse()
        self.count += weight
        self.min = min(self.min, value)
        self.max = max(self.max, value)

    def extend(self, values: Iterable[float]) -> None:
        """Record every value of ``values``."""
        for value in values:
            self.add(value)

    def merge(self, other: QuantileSketch) -> None:
        """Add ``other``'s counts to this sketch (both must have the same accuracy)."""
        if other.accuracy != self.accuracy:
            raise InvalidInput(
                f"cannot merge sketches of accuracy {self.accuracy} and {other.accuracy}")
        for index, weight in other._buckets.items():
            self._buckets[index] = self._buckets.get(index, 0) + weight
        if len(self._buckets) > _MAX_BUCKETS:
            self._collapse()
        self.zero_count += other.zero_count
        self.count += other.count
        self.min = min(self.min, other.min)
        self.max = max(self.max, other.max)

    def _collapse(self) -> None:
        ordered = sorted(self._buckets)
        keep = ordered[len(ordered) - _MAX_BUCKETS:]
        folded = sum(self._buckets.pop(index) for index in ordered[:len(ordered) - _MAX_BUCKETS])
        self._buckets[keep[0]] += folded

    # -- reading ---------------------------------------------------------------------------

    def quantile(self, q: float) -> float | None:
        """The estimated ``q``-quantile (0 <= q <= 1), ``None`` when the sketch is empty."""
        if not 0 <= q <= 1:
            raise InvalidInput(f"quantile must be between 0 and 1, not {q}")
        if self.count == 0:
            return None
        rank = math.floor(q * (self.count - 1))
        seen = self.zero_count
        if rank < seen:
            return max(self.min, 0.0)
        for index in sorted(self._buckets):
            seen += self._buckets[index]
            if rank < seen:
                estimate = 2 * math.exp(index * self._log_gamma) / (self._gamma + 1)
                return min(max(estimate, self.min), self.max)
        return self.max

    def histogram(self, bins: int = 8) -> list[tuple[float, float, int]]:
        """Counts in ``bins`` ranges of equal width on a log scale from ``min`` to ``max``
        (``(low, high, count)``; bounds within the sketch's accuracy)."""
        if self.count == 0:
            return []
        low, high = max(self.min, _MIN_VALUE), max(self.max, _MIN_VALUE)
        if high <= low * self._gamma or bins < 2:
            return [(self.min, self.max, self.count)]
        step = (math.log(high) - math.log(low)) / bins
        counts = [0] * bins
        counts[0] += self.zero_count
        for index, weight in self._buckets.items():
            value = math.exp(index * self._log_gamma) * 2 / (self._gamma + 1)
            position = int((math.log(min(max(value, low), high)) - math.log(low)) / step)
            counts[min(position, bins - 1)] += weight
        edges = [low * math.exp(step * n) for n in range(bins + 1)]
        edges[0], edges[-1] = self.min, self.max
        return [(edges[n], edges[n + 1], counts[n]) for n in range(bins)]

    # -- storage ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A compact JSON-ready form: dense bucket counts from the lowest index."""
        data: dict[str, Any] = {"a": self.accuracy, "n": self.count, "z": self.zero_count}
        if self.count:
            data["min"] = self.min
            data["max"] = self.max
        if self._buckets:
            low, high = min(self._buckets), max(self._buckets)
            data["o"] = low
            data["b"] = [self._buckets.get(index, 0) for index in range(low, high + 1)]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild a sketch written by :meth:`to_dict`."""
        try:
            sketch = cls(float(data.get("a", DEFAULT_ACCURACY)))
            sketch.count = int(data["n"])
            sketch.zero_count = int(data.get("z", 0))
            if sketch.count:
                sketch.min = float(data["min"])
                sketch.max = float(data["max"])
            offset = int(data.get("o", 0))
            for position, weight in enumerate(data.get("b", [])):
                if weight:
                    sketch._buckets[offset + position] = int(weight)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"not a stored sketch: {exc}") from exc
        if sketch.zero_count + sum(sketch._buckets.values()) != sketch.count:
            raise InvalidInput("not a stored sketch: bucket counts do not add up to its count")
        return sketch

    def copy(self) -> QuantileSketch:
        """An independent copy."""
        twin = QuantileSketch(self.accuracy)
        twin.merge(self)
        return twin

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, QuantileSketch):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"QuantileSketch(count={self.count}, buckets={len(self._buckets)})"
