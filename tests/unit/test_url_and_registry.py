"""Store URLs, the scheme registry and opening stores."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import runstore
from runstore.errors import BackendUnavailable, InvalidInput
from runstore.registry import backends as registry
from runstore.registry.url import StoreURL


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://user:s3cret@db:5432/prod", "postgresql://user:***@db:5432/prod"),
    ("mysql+pymysql://root:pw@127.0.0.1/test?charset=utf8", "mysql+pymysql://root:***@127.0.0.1/test?charset=utf8"),
    ("postgresql://db/prod?user=u&password=hunter2", "postgresql://db/prod?user=u&password=***"),
    ("sqlite:///./x.db", "sqlite:///./x.db"),
])
def test_url_never_prints_a_password(url: str, shown: str) -> None:
    parsed = StoreURL.parse(url)
    assert str(parsed) == shown
    assert "s3cret" not in repr(parsed)
    assert "hunter2" not in repr(parsed)
    assert parsed.render(hide_password=False) == url


def test_backend_drops_the_driver() -> None:
    assert StoreURL.parse("mysql+pymysql://root@h/db").backend == "mysql"
    assert StoreURL.parse("SQLITE:///x").backend == "sqlite"


@pytest.mark.parametrize("bad", ["", "no-scheme", "/tmp/x.db", "://x"])
def test_url_without_scheme_is_invalid_input(bad: str) -> None:
    with pytest.raises(InvalidInput):
        StoreURL.parse(bad)


def test_unknown_scheme_lists_known_ones() -> None:
    with pytest.raises(BackendUnavailable) as caught:
        runstore.open("redis://user:pw@localhost/0")
    message = str(caught.value)
    for scheme in ("redis", "sqlite", "postgresql", "file", "memory"):
        assert scheme in message
    assert "pw@" not in message
    assert caught.value.url == "redis://user:***@localhost/0"


def test_builtin_table_is_sorted() -> None:
    assert list(registry._BUILTIN) == sorted(registry._BUILTIN)


def test_unreachable_server_is_backend_unavailable_with_masked_password() -> None:
    for url in ("postgresql://postgres:topsecret@127.0.0.1:1/test",
                "mysql+pymysql://root:topsecret@127.0.0.1:1/test"):
        with pytest.raises(BackendUnavailable) as caught:
            runstore.open(url)
        assert "topsecret" not in str(caught.value)
        assert "***" in caught.value.url


def test_register_backend_adds_a_scheme(tmp_path: Path) -> None:
    registry.register_backend("scratch", "runstore.backends.memory:MemoryBackend")
    try:
        with runstore.open("scratch://") as store:
            assert store.workflows.store("a", {"x": 1}).version == 1
        assert "scratch" in registry.known_schemes()
    finally:
        registry._registered.pop("scratch")


def test_a_missing_backend_module_is_backend_unavailable() -> None:
    registry.register_backend("ghost", "runstore_ghost_backend:GhostBackend")
    try:
        with pytest.raises(BackendUnavailable, match="could not be loaded"):
            runstore.open("ghost://x")
    finally:
        registry._registered.pop("ghost")


def test_open_without_url_uses_env_then_default(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RUNSTORE_URL", raising=False)
    with runstore.open() as store:
        assert store.url == "sqlite:///./.runstore/runstore.db"
        store.workflows.store("a", {"x": 1})
    assert (tmp_path / ".runstore" / "runstore.db").is_file()
    monkeypatch.setenv("RUNSTORE_URL", f"file://{tmp_path / 'files'}")
    with runstore.open() as store:
        assert store.url.startswith("file://")
    assert (tmp_path / "files" / "manifest.json").is_file()


def test_unknown_options_are_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        runstore.open(f"sqlite:///{tmp_path / 'x.db'}", bogus=1)
    with pytest.raises(InvalidInput):
        runstore.open(f"sqlite:///{tmp_path / 'x.db'}?synchronous=sometimes")
    with pytest.raises(InvalidInput):
        runstore.open(f"file://{tmp_path}?color=blue")
    with pytest.raises(InvalidInput):
        runstore.open("memory://", pool_size=3)


def test_sqlite_pragmas_are_applied(tmp_path: Path) -> None:
    import sqlalchemy as sa

    from runstore.backends.sql import SqlBackend

    with runstore.open(f"sqlite:///{tmp_path / 'x.db'}?synchronous=full") as store:
        backend = store.backend_for("workflows")
        assert isinstance(backend, SqlBackend)
        with backend.connect(write=False) as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 60000
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
    assert os.path.exists(tmp_path / "x.db")
