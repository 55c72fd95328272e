"""YAML configuration: one URL per repository, validated with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import runstore
from runstore.errors import InvalidInput, UnsupportedOperation


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_repositories_on_different_backends(tmp_path: Path) -> None:
    config = write(tmp_path / "runstore.yaml", """
default: sqlite:///./state/runstore.db
repositories:
  workflows: file://./workflows
""")
    with runstore.open_config(config) as store:
        store.workflows.store("etl", {"a": 1})
        assert store.backend_for("workflows").url.backend == "file"
        assert store.backend_for("runs").url.backend == "sqlite"
        assert len(store.backends) == 2
        assert not store.capabilities.transactions  # the files backend has none
        with pytest.raises(UnsupportedOperation, match="several"):
            store.transaction()
    assert (tmp_path / "workflows" / "workflows" / "etl" / "v1.yaml").is_file()
    assert (tmp_path / "state" / "runstore.db").is_file()


def test_repositories_with_the_same_url_share_a_backend(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    config = write(tmp_path / "c.yaml", f"default: memory://\nrepositories:\n"
                                        f"  workflows: {url}\n  logs: {url}\n")
    with runstore.open_config(config) as store:
        assert store.backend_for("workflows") is store.backend_for("logs")
        with store.transaction("workflows", "logs"):
            store.workflows.store("x", {"a": 1})


@pytest.mark.parametrize(("text", "where"), [
    ("default: memory://\nrepositories:\n  bogus: memory://\n", "repositories"),
    ("default: memory://\nextra_key: 1\n", "extra_key"),
    ("default: [1, 2]\n", "default"),
    ("- a\n- b\n", "mapping"),
    ("default: memory://\n  bad indent: [\n", "YAML"),
])
def test_bad_config_names_the_file_and_key(tmp_path: Path, text: str, where: str) -> None:
    config = write(tmp_path / "bad.yaml", text)
    with pytest.raises(InvalidInput) as caught:
        runstore.open_config(config)
    assert str(config) in str(caught.value)
    assert where in str(caught.value)


def test_missing_config_file_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read"):
        runstore.open_config(tmp_path / "absent.yaml")


def test_options_read_environment_variables(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(tmp_path / "c.yaml", f"default: sqlite:///{tmp_path / 'x.db'}\n"
                                        "options:\n  sqlite: {pool_size: {env: RS_POOL}}\n")
    with pytest.raises(InvalidInput, match="RS_POOL"):
        runstore.open_config(config)
    monkeypatch.setenv("RS_POOL", "3")
    with runstore.open_config(config) as store:
        assert store.workflows.list_all() == []
