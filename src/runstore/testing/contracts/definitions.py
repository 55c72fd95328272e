"""The definitions contract: immutable, content-addressed JSON."""

from __future__ import annotations

import hashlib
import json

import pytest

from runstore.errors import InvalidInput, NotFound
from runstore.models.common import JsonValue
from runstore.store import Store
from runstore.testing.base import StoreFixtures
from runstore.testing.fixtures import unique_id

__all__ = ["DefinitionsContract"]


class DefinitionsContract(StoreFixtures):
    def test_put_returns_the_hash_of_the_canonical_form(self, store: Store) -> None:
        definition: dict[str, JsonValue] = {"b": [1, 2.5], "a": {"é": None}, "id": unique_id()}
        digest = store.definitions.put(definition)
        canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False).encode()
        assert digest == hashlib.sha256(canonical).hexdigest()
        assert store.definitions.get(digest) == definition
        assert store.definitions.has(digest)

    def test_put_is_idempotent(self, store: Store) -> None:
        name = unique_id()
        first = store.definitions.put({"x": 1, "name": name})
        again = store.definitions.put({"name": name, "x": 1})
        assert first == again
        assert store.definitions.get(first) == {"x": 1, "name": name}

    def test_any_json_value_is_a_definition(self, store: Store) -> None:
        values: list[JsonValue] = [[1, "two", unique_id()], unique_id(), 3.5]
        for definition in values:
            assert store.definitions.get(store.definitions.put(definition)) == definition

    def test_unknown_hash_is_not_found(self, store: Store) -> None:
        digest = hashlib.sha256(unique_id().encode()).hexdigest()
        assert not store.definitions.has(digest)
        with pytest.raises(NotFound):
            store.definitions.get(digest)

    @pytest.mark.parametrize("definition", [{"nan": float("nan")}, {1: "x"}, object()])
    def test_non_json_is_invalid_input(self, store: Store, definition: object) -> None:
        with pytest.raises(InvalidInput):
            store.definitions.put(definition)  # type: ignore[arg-type]

    @pytest.mark.parametrize("bad", ["", "../x", "A" * 64, None])
    def test_bad_hashes_are_invalid_input(self, store: Store, bad: object) -> None:
        with pytest.raises(InvalidInput):
            store.definitions.get(bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):
            store.definitions.has(bad)  # type: ignore[arg-type]
