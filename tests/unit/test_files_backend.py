"""Files-backend specifics: readable YAML, damaged files, escapes, the manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import runstore
from runstore.errors import CorruptRecord, InvalidInput, SchemaMismatch


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "store"


def test_each_version_is_a_readable_yaml_file(root: Path) -> None:
    with runstore.open(f"file://{root}") as store:
        store.workflows.store("etl", {"steps": ["a", "b"]}, message="first")
    document = yaml.safe_load((root / "workflows" / "etl" / "v1.yaml").read_text())
    assert document["definition"] == {"steps": ["a", "b"]}
    assert document["message"] == "first"
    assert not list(root.rglob("*.tmp"))


def test_hand_edited_version_is_corrupt_record(root: Path) -> None:
    with runstore.open(f"file://{root}") as store:
        store.workflows.store("etl", {"steps": ["a"]})
        path = root / "workflows" / "etl" / "v1.yaml"
        path.write_text(path.read_text().replace("- a", "- hacked"))
        with pytest.raises(CorruptRecord) as caught:
            store.workflows.get("etl", 1)
        assert str(path) in str(caught.value)
        assert caught.value.location == str(path)
        with pytest.raises(CorruptRecord):
            store.workflows.get_latest("etl")


def test_list_all_skips_damaged_files_with_a_warning(root: Path) -> None:
    with runstore.open(f"file://{root}") as store:
        store.workflows.store("good", {"a": 1})
        store.workflows.store("bad", {"a": 1})
        (root / "workflows" / "bad" / "v1.yaml").write_text("{{{ not yaml")
        with pytest.warns(UserWarning, match="bad"):
            listed = store.workflows.list_all()
        assert [w.id for w in listed] == ["good"]
        # The damaged file is still there, untouched, for a person to look at.
        assert (root / "workflows" / "bad" / "v1.yaml").read_text() == "{{{ not yaml"


def test_ids_cannot_escape_the_root(root: Path, tmp_path: Path) -> None:
    with runstore.open(f"file://{root}") as store:
        for bad in ("../outside", "..", "a/../../b", "/etc/passwd"):
            with pytest.raises(InvalidInput):
                store.workflows.store(bad, {"a": 1})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


def test_manifest_records_the_format(root: Path) -> None:
    runstore.open(f"file://{root}").close()
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["format_version"] == 1
    assert manifest["steps"] == ["0001_initial"]


def test_newer_format_is_refused(root: Path) -> None:
    runstore.open(f"file://{root}").close()
    (root / "manifest.json").write_text(json.dumps({"format_version": 99, "steps": []}))
    with pytest.raises(SchemaMismatch, match="upgrade runstore"):
        runstore.open(f"file://{root}")


def test_older_format_needs_upgrade_then_opens(root: Path) -> None:
    with runstore.open(f"file://{root}") as store:
        store.workflows.store("etl", {"a": 1})
    (root / "manifest.json").write_text(json.dumps({"format_version": 0, "steps": []}))
    with pytest.raises(SchemaMismatch, match="runstore upgrade"):
        runstore.open(f"file://{root}")
    assert runstore.upgrade(f"file://{root}") == ("0", "1")
    with runstore.open(f"file://{root}") as store:
        assert store.workflows.get("etl", 1).definition == {"a": 1}


def test_unwritable_root_is_backend_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(runstore.BackendUnavailable):
        runstore.open(f"file://{blocker}/sub")
