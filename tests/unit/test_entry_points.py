"""Third-party backends plug in through the ``runstore.backends`` entry-point group."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import runstore
from runstore.registry import backends as registry


@pytest.fixture
def installed_plugin(tmp_path: Path) -> Iterator[None]:
    """A tiny distribution on sys.path that declares two entry points."""
    (tmp_path / "toy_backend.py").write_text(
        "from runstore.backends.memory import MemoryBackend\n"
        "class ToyBackend(MemoryBackend):\n"
        "    schemes = ('toy',)\n"
    )
    dist = tmp_path / "toy_backend-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-backend\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[runstore.backends]\ntoy = toy_backend:ToyBackend\nsqlite = toy_backend:ToyBackend\n"
    )
    sys.path.insert(0, str(tmp_path))
    registry._entry_points.clear()
    registry._entry_points_loaded.clear()
    try:
        yield
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("toy_backend", None)
        registry._entry_points.clear()
        registry._entry_points_loaded.clear()


def test_entry_point_scheme_opens(installed_plugin: None) -> None:
    with pytest.warns(UserWarning, match="built in"):
        schemes = registry.known_schemes()
    assert "toy" in schemes
    with runstore.open("toy://") as store:
        assert type(store.backend_for("workflows")).__name__ == "ToyBackend"
        assert store.workflows.store("a", {"b": 1}).version == 1


def test_entry_point_cannot_take_over_a_builtin_scheme(installed_plugin: None,
                                                       tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="built in"):
        registry.known_schemes()
    with runstore.open(f"sqlite:///{tmp_path / 'x.db'}") as store:
        assert type(store.backend_for("workflows")).__name__ == "SqlBackend"
