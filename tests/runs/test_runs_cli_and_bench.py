"""The runs CLI, the demo's workflow run, and a smoke run of the runs benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import runstore
from benchmarks import runs as runs_benchmark
from runstore.cli.app import app
from runstore.models.runs import RunStatus
from runstore.services.demo.runs import execute_workflow_run


def test_runs_ls_and_show(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    with runstore.open(url) as store:
        run = store.runs.create_run("etl", 2)
        task = store.runs.add_tasks(run.id, [{"name": "extract"}], status="ready")[0]
        claim = store.runs.claim("w-1", run_id=run.id)
        assert claim is not None
        store.runs.release(claim, "failed", error="boom")
    cli = CliRunner()
    listed = cli.invoke(app, ["runs", "ls", "--url", url, "--json"])
    assert listed.exit_code == 0, listed.output
    assert [r["id"] for r in json.loads(listed.stdout)] == [run.id]
    shown = cli.invoke(app, ["runs", "show", run.id, "--url", url, "--json"])
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.stdout)
    assert body["tasks"][0]["id"] == task.id
    assert body["tasks"][0]["attempts"][0]["error"] == "boom"
    table = cli.invoke(app, ["runs", "show", run.id, "--url", url])
    assert table.exit_code == 0
    assert "extract" in table.stdout
    assert "w-1" in table.stdout
    missing = cli.invoke(app, ["runs", "show", "nope", "--url", url])
    assert missing.exit_code == 3


def test_demo_executes_a_workflow_run_with_two_workers() -> None:
    with runstore.open("memory://") as store:
        lines = execute_workflow_run(store)
        run = store.runs.list_runs().items[0]
        assert run.status is RunStatus.SUCCEEDED
        tasks = store.runs.get_tasks(run.id)
        assert [t.name for t in tasks] == ["extract", "transform", "validate", "load"]
        assert all(t.status is RunStatus.SUCCEEDED for t in tasks)
    assert any(line.startswith("worker-2:") for line in lines)


def test_runs_benchmark_runs_with_a_tiny_size(postgres_url: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    runs_benchmark.main(["--runs", "5"])
    out = capsys.readouterr().out
    assert "SQLite" in out
    assert "PostgreSQL" in out
    assert "% of raw" in out
