"""The workflows repository contract."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC

import pytest

from runstore.errors import InvalidInput, NotFound, RunstoreError
from runstore.models.common import JsonValue
from runstore.store import Store
from runstore.testing.base import StoreFixtures
from runstore.testing.fixtures import unique_id

__all__ = ["WorkflowsContract"]

BAD_IDS = ["", "../x", "trail\n", "..", ".hidden", "a/b", "a\\b", "x" * 129, "sp ace", "tab\t", "é"]


class WorkflowsContract(StoreFixtures):
    def test_store_assigns_sequential_versions(self, store: Store) -> None:
        wid = unique_id("wf")
        versions = [store.workflows.store(wid, {"step": n}).version for n in range(3)]
        assert versions == [1, 2, 3]

    def test_identical_definition_returns_latest_version(self, store: Store) -> None:
        wid = unique_id("wf")
        first = store.workflows.store(wid, {"a": 1, "b": [1, 2]})
        again = store.workflows.store(wid, {"b": [1, 2], "a": 1})
        assert again == first
        assert [w.version for w in store.workflows.list(wid)] == [1]

    def test_identical_to_an_older_version_is_a_new_version(self, store: Store) -> None:
        wid = unique_id("wf")
        store.workflows.store(wid, {"a": 1})
        store.workflows.store(wid, {"a": 2})
        third = store.workflows.store(wid, {"a": 1})
        assert third.version == 3
        assert third.content_hash == store.workflows.get(wid, 1).content_hash

    def test_parent_version_defaults_to_previous_latest(self, store: Store) -> None:
        wid = unique_id("wf")
        first = store.workflows.store(wid, {"a": 1})
        second = store.workflows.store(wid, {"a": 2}, message="tweak")
        assert first.parent_version is None
        assert second.parent_version == 1
        assert second.message == "tweak"

    def test_explicit_parent_version_is_kept(self, store: Store) -> None:
        wid = unique_id("wf")
        for n in range(3):
            store.workflows.store(wid, {"n": n})
        branch = store.workflows.store(wid, {"n": "branch"}, parent_version=1)
        assert (branch.version, branch.parent_version) == (4, 1)
        assert store.workflows.get(wid, 4).parent_version == 1

    def test_missing_parent_version_is_rejected(self, store: Store) -> None:
        wid = unique_id("wf")
        store.workflows.store(wid, {"n": 0})
        with pytest.raises(NotFound):
            store.workflows.store(wid, {"n": 1}, parent_version=7)
        assert [w.version for w in store.workflows.list(wid)] == [1]

    def test_content_hash_is_sha256_of_canonical_json(self, store: Store) -> None:
        definition: dict[str, JsonValue] = {"z": [1, 2.5, None, True], "a": {"é": "ü"}}
        stored = store.workflows.store(unique_id("wf"), definition)
        canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False).encode()
        assert stored.content_hash == hashlib.sha256(canonical).hexdigest()

    def test_definition_round_trips_exactly(self, store: Store) -> None:
        wid = unique_id("wf")
        definition: dict[str, JsonValue] = {
            "int": 2**53 + 1, "neg": -7, "float": 0.1, "big": 1e300, "bool": False,
            "null": None, "text": "yes", "date_like": "2020-01-01", "unicode": "日本 ✓",
            "nested": {"list": [[], {}, [1, [2, [3]]]], "empty": ""}, "num_str": "1.0",
            "multiline": "line one\nline two\n",
        }
        store.workflows.store(wid, definition)
        assert store.workflows.get(wid, 1).definition == definition
        assert store.workflows.get_latest(wid).definition == definition

    def test_large_definition_round_trips(self, store: Store) -> None:
        wid = unique_id("wf")
        steps: list[JsonValue] = [{"name": f"step-{n}", "cmd": "x" * 100} for n in range(2000)]
        definition: dict[str, JsonValue] = {"steps": steps}
        store.workflows.store(wid, definition)
        assert store.workflows.get(wid, 1).definition == definition

    def test_created_at_is_utc_aware(self, store: Store) -> None:
        stored = store.workflows.store(unique_id("wf"), {"a": 1})
        fetched = store.workflows.get(stored.id, 1)
        assert fetched.created_at.tzinfo is not None
        assert fetched.created_at.utcoffset() == UTC.utcoffset(None)
        assert fetched.created_at == stored.created_at

    def test_get_and_get_latest_raise_not_found(self, store: Store) -> None:
        wid = unique_id("wf")
        with pytest.raises(NotFound):
            store.workflows.get_latest(wid)
        store.workflows.store(wid, {"a": 1})
        with pytest.raises(NotFound):
            store.workflows.get(wid, 2)
        with pytest.raises(NotFound):
            store.workflows.get(unique_id("other"), 1)

    def test_list_is_ascending_and_empty_for_unknown(self, store: Store) -> None:
        wid = unique_id("wf")
        for n in range(12):
            store.workflows.store(wid, {"n": n})
        assert [w.version for w in store.workflows.list(wid)] == list(range(1, 13))
        assert store.workflows.list(unique_id("none")) == []

    def test_list_all_gives_latest_of_each_sorted_by_id(self, store: Store) -> None:
        assert store.workflows.list_all() == []
        for wid, count in [("b-flow", 2), ("a-flow", 1), ("c.flow", 3)]:
            for n in range(count):
                store.workflows.store(wid, {"n": n})
        listed = store.workflows.list_all()
        assert [(w.id, w.version) for w in listed] == [("a-flow", 1), ("b-flow", 2), ("c.flow", 3)]

    def test_delete_removes_one_version(self, store: Store) -> None:
        wid = unique_id("wf")
        for n in range(3):
            store.workflows.store(wid, {"n": n})
        store.workflows.delete(wid, 3)
        with pytest.raises(NotFound):
            store.workflows.get(wid, 3)
        assert store.workflows.get_latest(wid).version == 2
        with pytest.raises(NotFound):
            store.workflows.delete(wid, 3)

    def test_deleted_versions_are_never_reused(self, store: Store) -> None:
        wid = unique_id("wf")
        store.workflows.store(wid, {"n": 1})
        store.workflows.store(wid, {"n": 2})
        store.workflows.delete(wid, 2)
        store.workflows.delete(wid, 1)
        again = store.workflows.store(wid, {"n": 3})
        assert again.version == 3
        assert again.parent_version is None

    def test_returned_records_cannot_change_stored_versions(self, store: Store) -> None:
        wid = unique_id("wf")
        stored = store.workflows.store(wid, {"steps": ["a"]})
        with pytest.raises(Exception):  # noqa: B017, PT011  (pydantic: frozen instance)
            stored.version = 9  # type: ignore[misc]
        stored.definition["steps"].append("mutated")  # type: ignore[union-attr]
        assert store.workflows.get(wid, 1).definition == {"steps": ["a"]}
        assert not hasattr(store.workflows, "update")

    @pytest.mark.parametrize("bad_id", BAD_IDS)
    def test_bad_ids_are_invalid_input(self, store: Store, bad_id: str) -> None:
        with pytest.raises(InvalidInput):
            store.workflows.store(bad_id, {"a": 1})
        with pytest.raises(InvalidInput):
            store.workflows.get(bad_id, 1)
        with pytest.raises(InvalidInput):
            store.workflows.list(bad_id)
        with pytest.raises(InvalidInput):
            store.workflows.delete(bad_id, 1)

    def test_longest_allowed_id_works(self, store: Store) -> None:
        wid = "w" + "x" * 127
        assert store.workflows.store(wid, {"a": 1}).id == wid
        assert store.workflows.get_latest(wid).version == 1

    @pytest.mark.parametrize("definition", [
        ["not", "a", "mapping"], "text", None, {"nan": float("nan")}, {"inf": float("inf")},
        {"obj": object()}, {1: "int key"},
    ])
    def test_bad_definitions_are_invalid_input(self, store: Store, definition: object) -> None:
        wid = unique_id("wf")
        with pytest.raises(InvalidInput):
            store.workflows.store(wid, definition)  # type: ignore[arg-type]
        assert store.workflows.list(wid) == []

    @pytest.mark.parametrize("version", [0, -1, "1", 1.5, True])
    def test_bad_versions_are_invalid_input(self, store: Store, version: object) -> None:
        with pytest.raises(InvalidInput):
            store.workflows.get(unique_id("wf"), version)  # type: ignore[arg-type]

    def test_errors_are_runstore_errors(self, store: Store) -> None:
        with pytest.raises(RunstoreError):
            store.workflows.get("../etc", 1)
        with pytest.raises(RunstoreError):
            store.workflows.get_latest(unique_id("missing"))
        with pytest.raises(RunstoreError):
            store.workflows.store(unique_id("wf"), {"x": float("nan")})
