"""Stores written by the first schema revision and files format upgrade, keeping every record.

``fixtures/0001`` holds a SQLite file and a files store written at revision 0001, and the
records they hold (``expected.json``). Each later schema change adds its fixture here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import runstore
from runstore.errors import SchemaMismatch

FIXTURES = Path(__file__).parent / "fixtures"


def _open_upgrading(url: str) -> runstore.Store:
    try:
        return runstore.open(url)
    except SchemaMismatch as exc:
        if "runstore upgrade" not in str(exc):
            raise
    runstore.upgrade(url)
    return runstore.open(url)


def _records(store: runstore.Store, expected: dict[str, Any]) -> list[dict[str, Any]]:
    ids = sorted({r["id"] for r in expected["workflows"]})
    return [w.model_dump(mode="json") for wid in ids for w in store.workflows.list(wid)]


@pytest.mark.parametrize("revision", sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()))
@pytest.mark.parametrize("kind", ["sqlite", "files"])
def test_old_store_upgrades_and_keeps_every_record(revision: str, kind: str,
                                                   tmp_path: Path) -> None:
    source = FIXTURES / revision
    expected = json.loads((source / "expected.json").read_text())
    if kind == "sqlite":
        shutil.copy(source / "runstore.db", tmp_path / "runstore.db")
        url = f"sqlite:///{tmp_path / 'runstore.db'}"
    else:
        shutil.copytree(source / "files", tmp_path / "files")
        url = f"file://{tmp_path / 'files'}"
    with _open_upgrading(url) as store:
        assert _records(store, expected) == expected["workflows"]
        # The upgraded store keeps working: versions continue after the stored ones.
        assert store.workflows.store("wf-1", {"after": "upgrade"}).version == 3
    assert runstore.doctor(url).healthy
