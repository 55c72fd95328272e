"""``runstore results`` and ``runstore artifacts``, and the demo's cached tasks."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import runstore
from runstore.cli.app import app

runner = CliRunner()


def test_demo_skips_cached_tasks_the_second_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RUNSTORE_URL", raising=False)
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    assert "extract (ran and cached)" in first.output
    assert "skipped: cached result" not in first.output
    second = runner.invoke(app, ["demo"])
    assert second.exit_code == 0, second.output
    for task in ("extract", "transform", "validate", "load"):
        assert f"{task} (skipped: cached result" in second.output
    with runstore.open() as store:
        assert len(store.results.query(prefix="demo/nightly-etl/").items) == 4


def test_results_ls_show_rm(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    with runstore.open(url) as store:
        store.results.put_success("a/1", {"n": 1}, metadata={"task": "a"})
        store.results.put_failure("b/1", ValueError("bad input"))
    listed = runner.invoke(app, ["results", "ls", "--url", url, "--json"])
    assert listed.exit_code == 0, listed.output
    assert [r["key"] for r in json.loads(listed.output)] == ["a/1", "b/1"]
    shown = runner.invoke(app, ["results", "show", "a/1", "--url", url, "--json"])
    assert json.loads(shown.output)["value"] == {"n": 1}
    failure = runner.invoke(app, ["results", "show", "b/1", "--url", url])
    assert "ValueError: bad input" in failure.output
    removed = runner.invoke(app, ["results", "rm", "a/1", "--url", url])
    assert removed.exit_code == 0
    assert runner.invoke(app, ["results", "show", "a/1", "--url", url]).exit_code == 3
    assert runner.invoke(app, ["results", "rm", "nope", "--url", url]).exit_code == 3
    assert runner.invoke(app, ["results", "rm", "--url", url]).exit_code == 1
    assert runner.invoke(app, ["results", "rm", "--all", "--url", url]).exit_code == 0
    with runstore.open(url) as store:
        assert not store.results.has("b/1")


def test_artifacts_ls_and_cat(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    data = b"\x00binary\xffpayload" * 1000
    with runstore.open(url) as store:
        ref = store.artifacts.put(data, media_type="application/x-demo")
    listed = runner.invoke(app, ["artifacts", "ls", "--url", url, "--json"])
    assert json.loads(listed.output) == [ref.model_dump(mode="json")]
    cat = runner.invoke(app, ["artifacts", "cat", ref.sha256, "--url", url])
    assert cat.exit_code == 0
    assert hashlib.sha256(cat.stdout_bytes).hexdigest() == ref.sha256
    missing = runner.invoke(app, ["artifacts", "cat", "0" * 64, "--url", url])
    assert missing.exit_code == 3
