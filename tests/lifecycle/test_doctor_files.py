"""runstore doctor on a files store damaged file by file: torn and garbled JSON Lines,
results, metrics, runs, log records and conversations that no longer parse or match."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

import runstore
from runstore.cli.app import app
from tests.lifecycle.conftest import make_run

runner = CliRunner()


def _store(tmp_path: Path) -> tuple[str, Path, str]:
    """A files store with one run of everything; returns (url, root, run id)."""
    root = tmp_path / "files"
    url = f"file://{root}"
    with runstore.open(url) as store:
        made = make_run(store, "wf", events=5)
        store.results.put_success("small", {"n": 1})
        store.definitions.put({"step": "a"})
        store.metrics.record_execution({"workflow_id": "wf", "workflow_version": 1,
                                        "run_id": made.run.id, "duration_s": 1.5,
                                        "success": True})
        store.metrics.record_pattern({"workflow_id": "wf", "kind": "slow", "confidence": 0.5})
    return url, root, made.run.id


def _events(root: Path, run_id: str) -> Path:
    return root / "logs" / "events" / f"{run_id}.jsonl"


def test_a_full_healthy_files_store_has_no_findings(tmp_path: Path) -> None:
    url, _, _ = _store(tmp_path)
    report = runstore.doctor(url)
    assert report.findings == []
    assert report.blobs_checked == 1  # the attachment


def test_torn_last_line_is_reported_and_repaired(tmp_path: Path) -> None:
    url, root, run_id = _store(tmp_path)
    path = _events(root, run_id)
    original = path.read_bytes()
    path.write_bytes(original + b'{"seq": 6, "ts": "2024-')  # a writer killed mid-append

    (finding,) = runstore.doctor(url).findings
    assert finding.location == f"{path}:6"
    assert finding.problem == "torn last line 6 (an interrupted append)"
    assert finding.lost == f"1 of 6 lines of the log events of run {run_id!r}"
    assert path.read_bytes().endswith(b"2024-")  # a check alone changes nothing

    result = runner.invoke(app, ["doctor", url, "--repair", "--json"])
    assert result.exit_code == 1, result.output
    (repaired,) = json.loads(result.output)["findings"]
    quarantined = root / "quarantine" / "logs" / "events" / f"{run_id}.jsonl"
    assert repaired["action"] == f"moved to {quarantined}; rewrote the 5 good lines"
    assert quarantined.read_bytes().endswith(b"2024-")
    assert path.read_bytes() == original
    assert runstore.doctor(url).healthy
    with warnings.catch_warnings(), runstore.open(url) as store:
        warnings.simplefilter("error")  # no torn line left to warn about
        assert [e.seq for e in store.logs.get_log(run_id).events] == [1, 2, 3, 4, 5]
        assert store.logs.append(run_id, {"message": "after"}) == 6


def test_lines_that_do_not_parse_are_named_and_dropped(tmp_path: Path) -> None:
    url, root, run_id = _store(tmp_path)
    path = _events(root, run_id)
    lines = path.read_bytes().splitlines(keepends=True)
    lines[2] = b"not json at all\n"
    lines[3] = b'{"seq": "four"}\n'  # JSON, but not an event
    path.write_bytes(b"".join(lines))

    (finding,) = runstore.doctor(url).findings
    assert finding.location == f"{path}:3"
    assert finding.problem.startswith("line 3 does not parse (")
    assert finding.problem.endswith("; 1 more bad lines")
    assert finding.lost == f"2 of 5 lines of the log events of run {run_id!r}"

    (repaired,) = runstore.doctor(url, repair=True).findings
    assert repaired.action.endswith("rewrote the 3 good lines")
    assert runstore.doctor(url).healthy
    with runstore.open(url) as store:
        assert [e.seq for e in store.logs.get_log(run_id).events] == [1, 2, 5]


def test_record_files_that_do_not_parse_or_match(tmp_path: Path) -> None:
    url, root, run_id = _store(tmp_path)
    (result_file,) = (root / "results").glob("??/*.json")
    body = json.loads(result_file.read_text())
    body["value_base64"] = "eyJuIjogMn0="  # {"n": 2}: no longer the content_hash
    result_file.write_text(json.dumps(body))
    (aggregates,) = (root / "metrics" / "wf").glob("v1.json")
    aggregates.write_bytes(aggregates.read_bytes()[:40])
    (pattern,) = (root / "metrics" / "wf" / "patterns").glob("*.json")
    pattern.write_text("{}")
    run_file = root / "runs" / f"{run_id}.json"
    run_file.write_bytes(run_file.read_bytes()[:-10])
    record = root / "logs" / "records" / f"{run_id}.json"
    record.write_text("[]")
    (definition,) = (root / "definitions").glob("??/*.json")
    definition.write_text('{"step": "b"}')

    report = runstore.doctor(url)
    lost = {Path(f.location): f.lost for f in report.findings}
    assert lost == {
        result_file: "result 'small'",
        aggregates: "metric aggregates of workflow 'wf' v1",
        pattern: f"pattern {pattern.stem!r} of workflow 'wf'",
        run_file: f"run {run_id!r} with its tasks and attempts",
        record: f"the log record of run {run_id!r}",
        definition: f"definition {definition.stem}",
    }
    problems = {Path(f.location): f.problem for f in report.findings}
    assert problems[result_file] == "the value of result 'small' does not match its content_hash"

    repaired = runstore.doctor(url, repair=True)
    assert all(f.action.startswith("moved to ") for f in repaired.findings)
    assert not any(path.exists() for path in lost)
    assert (root / "quarantine" / "runs" / f"{run_id}.json").exists()
    assert runstore.doctor(url).healthy
    with runstore.open(url) as store:
        assert store.results.get_record("small") is None
        assert store.metrics.get_patterns("wf") == []
        assert [e.seq for e in store.logs.get_log(run_id).events] == [1, 2, 3, 4, 5]


def test_conversation_files(tmp_path: Path) -> None:
    url, root, run_id = _store(tmp_path)
    cid = f"conv-{run_id}"
    folder = root / "conversations" / cid
    with runstore.open(url) as store:
        second = store.conversations.attach(cid, b"second", name="b.txt")
    message = folder / "messages" / "m0.json"
    message.write_text(message.read_text().replace("hello 0", "hello edited"))
    attachments = folder / "attachments.json"
    records = json.loads(attachments.read_text())
    (first_id,) = set(records) - {second.id}
    records[first_id]["name"] = "renamed.txt"  # edited on disk: the hash no longer matches
    attachments.write_text(json.dumps(records))

    report = runstore.doctor(url)
    assert {f.location: f.lost for f in report.findings} == {
        str(message): f"message 'm0' of conversation {cid!r}",
        f"{attachments}:{first_id}": f"attachment records {first_id!r} of conversation {cid!r}",
    }
    runstore.doctor(url, repair=True)
    assert runstore.doctor(url).healthy
    with runstore.open(url) as store:
        assert store.conversations.get_messages(cid) == []
        assert [a.id for a in store.conversations.get_attachments(cid)] == [second.id]
    assert (root / "quarantine" / "conversations" / cid / "attachments.json").exists()


def test_a_damaged_conversation_header_quarantines_the_conversation(tmp_path: Path) -> None:
    url, root, run_id = _store(tmp_path)
    cid = f"conv-{run_id}"
    header = root / "conversations" / cid / "conversation.json"
    header.write_text(header.read_text().replace('"agent"', '"someone else"'))
    (finding,) = runstore.doctor(url).findings
    assert finding.lost == f"conversation {cid!r} with its 1 messages and its attachments"
    (repaired,) = runstore.doctor(url, repair=True).findings
    assert repaired.action == f"moved to {root / 'quarantine' / 'conversations' / cid}"
    with runstore.open(url) as store:
        assert store.conversations.list_conversations().items == []
    # The attachment's blob is kept (nothing is deleted); gc may remove it later.
    assert runstore.doctor(url).healthy


@pytest.mark.parametrize("damage", ["garbage", "missing"])
def test_cli_exit_codes(tmp_path: Path, damage: str) -> None:
    url, root, run_id = _store(tmp_path)
    assert runner.invoke(app, ["doctor", url]).exit_code == 0
    path = _events(root, run_id)
    if damage == "garbage":
        path.write_bytes(path.read_bytes() + b"\x00\x01\n")
        result = runner.invoke(app, ["doctor", url])
        assert result.exit_code == 1
        assert "problems found: 1; blobs verified: 1" in result.output
        assert runner.invoke(app, ["doctor", url, "--repair"]).exit_code == 1
        assert runner.invoke(app, ["doctor", url]).exit_code == 0
    else:
        result = runner.invoke(app, ["doctor", f"file://{tmp_path / 'nowhere'}"])
        assert result.exit_code == 1
        assert "no such folder" in " ".join(result.output.split())
