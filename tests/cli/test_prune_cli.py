"""runstore prune and runstore gc from the command line: flags, config, JSON, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import runstore
from runstore.cli.app import app
from tests.lifecycle.conftest import make_run

runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path) -> str:
    with runstore.open(f"sqlite:///{tmp_path / 'runs.db'}") as store:
        for n in range(3):
            make_run(store, "etl", "failed" if n == 1 else "succeeded", n=n)
        make_run(store, "etl", "running", n=3)
    return f"sqlite:///{tmp_path / 'runs.db'}"


def _run_ids(url: str) -> list[str]:
    with runstore.open(url) as store:
        return [run.id for run in reversed(store.runs.list_runs().items)]


def test_prune_dry_run_then_prune_with_an_archive(url: str, tmp_path: Path) -> None:
    ids = _run_ids(url)
    preview = runner.invoke(app, ["prune", url, "--keep-last", "1", "--dry-run", "--json"])
    assert preview.exit_code == 0, preview.output
    body = json.loads(preview.output)
    assert body["dry_run"] is True
    assert [run["id"] for run in body["runs"]] == ids[:2]
    assert body["counts"] == {"runs": 2, "tasks": 4, "logs": 2, "conversations": 2}
    assert (body["kept"], body["active"]) == (1, 1)
    assert _run_ids(url) == ids

    archive = f"sqlite:///{tmp_path / 'archive.db'}"
    done = runner.invoke(app, ["prune", url, "--keep-last", "1", "--archive-to", archive])
    assert done.exit_code == 0, done.output
    assert "pruned 2 runs" in done.output
    assert "archived and verified" in done.output
    assert _run_ids(url) == ids[2:]
    assert _run_ids(archive) == ids[:2]


def test_prune_older_than_keeps_failed_runs_for_longer(url: str) -> None:
    ids = _run_ids(url)
    result = runner.invoke(app, ["prune", url, "--older-than", "0s", "--keep-failed-for", "90d"])
    assert result.exit_code == 0, result.output
    assert "would" not in result.output
    assert _run_ids(url) == [ids[1], ids[3]]  # the failed one and the running one


def test_prune_reads_the_policy_from_the_config(url: str, tmp_path: Path) -> None:
    config = tmp_path / "runstore.yaml"
    config.write_text(f"default: {url}\nretention:\n  keep_last: 2\n  dry_run: true\n")
    ids = _run_ids(url)
    preview = runner.invoke(app, ["prune", "--config", str(config), "--json"])
    assert preview.exit_code == 0, preview.output
    assert [run["id"] for run in json.loads(preview.output)["runs"]] == ids[:1]
    assert _run_ids(url) == ids
    # A flag given on the command line wins over the config.
    flagged = runner.invoke(app, ["prune", "--config", str(config), "--keep-last", "0",
                                  "--json"])
    assert len(json.loads(flagged.output)["runs"]) == 3


@pytest.mark.parametrize(("args", "message"), [
    (["--older-than", "30 days"], "invalid duration"),
    (["--older-than", "7d", "--keep-failed-for", "1d"], "cannot be shorter"),
    ([], "--older-than, --keep-last or --keep-failed-for"),
    (["--keep-last", "1", "--archive-to", "nowhere"], "archive_to"),
])
def test_prune_rejects_bad_policies_with_exit_1(url: str, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["prune", url, *args])
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())  # rich wraps long lines
    assert len(_run_ids(url)) == 4


def test_prune_keep_last_must_be_a_number(url: str) -> None:
    assert runner.invoke(app, ["prune", url, "--keep-last", "many"]).exit_code == 2


def test_gc_dry_run_and_gc(url: str) -> None:
    runner.invoke(app, ["prune", url, "--keep-last", "0"])  # the running run stays
    with runstore.open(url) as store:
        [running] = store.runs.list_runs().items
        [attachment] = store.conversations.get_attachments(f"conv-{running.id}")
        loose = store.artifacts.put(b"nothing refers to me")
        kept = store.results.put_success("big", {"text": "x" * 2_000_000})
    assert kept.artifact is not None
    fresh = runner.invoke(app, ["gc", url, "--json"])  # everything was stored just now
    assert fresh.exit_code == 0, fresh.output
    assert json.loads(fresh.output) == {
        "dry_run": False, "scanned": 6, "kept": 2, "recent": 4, "removed": [],
        "freed_bytes": 0}
    preview = runner.invoke(app, ["gc", url, "--grace", "0s", "--dry-run", "--json"])
    assert preview.exit_code == 0, preview.output
    body = json.loads(preview.output)
    assert body["dry_run"] is True
    assert loose.sha256 in body["removed"]
    assert len(body["removed"]) == 4  # three pruned runs' attachments and the loose blob
    assert kept.artifact.sha256 not in body["removed"]
    done = runner.invoke(app, ["gc", url, "--grace", "0s"])
    assert done.exit_code == 0, done.output
    assert "removed" in done.output
    with runstore.open(url) as store:
        assert {ref.sha256 for ref in store.artifacts.iter_refs()} == {
            kept.artifact.sha256, attachment.sha256}
    again = runner.invoke(app, ["gc", url, "--grace", "0s", "--json"])
    assert json.loads(again.output)["removed"] == []
    assert runner.invoke(app, ["gc", url, "--grace", "soon"]).exit_code != 0


def test_prune_exits_1_and_deletes_nothing_when_the_archive_differs(
        url: str, tmp_path: Path) -> None:
    ids = _run_ids(url)
    archive = f"sqlite:///{tmp_path / 'archive.db'}"
    with runstore.open(url) as store, runstore.open(archive) as target:
        first = store.runs.get_run(ids[0])
        runs: Any = target.runs  # the transfer port writes a run with its id
        runs.import_records("runs", [first.model_copy(update={"status_reason": "edited"})])
    result = runner.invoke(app, ["prune", url, "--keep-last", "0", "--archive-to", archive])
    assert result.exit_code == 1
    assert "ArchiveMismatch" in result.output
    assert ids[0] in " ".join(result.output.split())
    assert _run_ids(url) == ids
