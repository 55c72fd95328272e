"""The runstore command: help, exit codes, JSON output, the demo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import runstore
from runstore.cli.app import app

runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("demo", "info", "upgrade", "workflows"):
        assert command in result.output


def test_demo_runs_on_the_embedded_default_and_is_repeatable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RUNSTORE_URL", raising=False)
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    assert "nightly-etl v2 (stored" in first.output
    second = runner.invoke(app, ["demo"])
    assert second.exit_code == 0, second.output
    assert "nightly-etl v2 (already stored" in second.output
    with runstore.open() as store:
        assert [w.version for w in store.workflows.list("nightly-etl")] == [1, 2]


def test_workflows_put_ls_show(tmp_path: Path, url: str) -> None:
    definition = tmp_path / "wf.yaml"
    definition.write_text("tasks:\n  a: {}\n  b: {depends_on: [a]}\n")
    put = runner.invoke(app, ["workflows", "put", "etl", str(definition), "-m", "hi",
                              "--url", url, "--json"])
    assert put.exit_code == 0, put.output
    assert json.loads(put.output)["version"] == 1
    listed = runner.invoke(app, ["workflows", "ls", "--url", url, "--json"])
    assert [w["id"] for w in json.loads(listed.output)] == ["etl"]
    shown = runner.invoke(app, ["workflows", "show", "etl", "--url", url, "--json"])
    expected = {"tasks": {"a": {}, "b": {"depends_on": ["a"]}}}
    assert json.loads(shown.output)["definition"] == expected
    table = runner.invoke(app, ["workflows", "ls", "etl", "--url", url])
    assert "etl" in table.output
    assert "hi" in table.output


def test_not_found_exits_3_and_bad_input_exits_1(tmp_path: Path, url: str) -> None:
    missing = runner.invoke(app, ["workflows", "show", "nope", "--url", url])
    assert missing.exit_code == 3
    assert "not found" in missing.output or "no versions" in missing.output
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("- just\n- a list\n")
    bad = runner.invoke(app, ["workflows", "put", "etl", str(bad_yaml), "--url", url])
    assert bad.exit_code == 1
    assert "InvalidInput" in bad.output


def test_unreachable_backend_exits_1_without_the_password() -> None:
    result = runner.invoke(app, ["info", "postgresql://u:hunter2@127.0.0.1:1/x"])
    assert result.exit_code == 1
    assert "BackendUnavailable" in result.output
    assert "hunter2" not in result.output


def test_info_json_and_upgrade(url: str) -> None:
    with runstore.open(url) as store:
        store.workflows.store("a", {"x": 1})
    info = runner.invoke(app, ["info", url, "--json"])
    assert info.exit_code == 0, info.output
    (summary,) = json.loads(info.output)
    assert summary["backend"] == "sqlite"
    assert summary["counts"]["workflows"] == 1
    upgrade = runner.invoke(app, ["upgrade", url])
    assert upgrade.exit_code == 0
    assert "already at schema" in upgrade.output
