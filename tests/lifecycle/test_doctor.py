"""runstore doctor on deliberately damaged stores."""

from __future__ import annotations

import json
import os
from pathlib import Path

from typer.testing import CliRunner

import runstore
from runstore.cli.app import app

runner = CliRunner()


def _fill(url: str, count: int = 200) -> None:
    with runstore.open(url) as store:
        for n in range(count):
            store.workflows.store(f"wf-{n % 10}", {"n": n, "pad": "x" * 400})


def test_healthy_stores_exit_0(tmp_path: Path) -> None:
    for url in (f"sqlite:///{tmp_path / 'ok.db'}", f"file://{tmp_path / 'ok'}"):
        _fill(url, 20)
        result = runner.invoke(app, ["doctor", url])
        assert result.exit_code == 0, result.output
        assert "healthy" in result.output


def test_edited_yaml_is_found_and_quarantined(tmp_path: Path) -> None:
    root = tmp_path / "files"
    url = f"file://{root}"
    _fill(url, 20)
    edited = root / "workflows" / "wf-3" / "v2.yaml"
    edited.write_text(edited.read_text().replace("n: 13", "n: 99"))
    report = runstore.doctor(url)
    assert not report.healthy
    assert [f.location for f in report.findings] == [str(edited)]
    assert edited.exists()  # a check alone changes nothing

    result = runner.invoke(app, ["doctor", url, "--repair", "--json"])
    assert result.exit_code == 1
    (finding,) = json.loads(result.output)["findings"]
    assert finding["lost"] == "workflow 'wf-3' version 2"
    assert not edited.exists()
    assert (root / "quarantine" / "workflows" / "wf-3" / "v2.yaml").exists()
    assert runstore.doctor(url).healthy
    with runstore.open(url) as store:
        assert [w.version for w in store.workflows.list("wf-3")] == [1]


def test_truncated_sqlite_file_is_found_and_salvaged(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    url = f"sqlite:///{path}"
    _fill(url)
    size = path.stat().st_size
    with open(path, "r+b") as handle:  # cut the last pages off the database file
        handle.truncate(size - 3 * 4096)
    report = runstore.doctor(url)
    assert not report.healthy
    result = runner.invoke(app, ["doctor", url, "--repair"])
    assert result.exit_code == 1
    assert any((tmp_path / "quarantine").iterdir())
    assert runstore.doctor(url).healthy
    with runstore.open(url) as store:
        salvaged = sum(len(store.workflows.list(f"wf-{n}")) for n in range(10))
    assert 0 < salvaged < 200


def test_row_whose_content_was_changed_in_the_database(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "edited.db"
    _fill(f"sqlite:///{path}", 5)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE workflows SET definition = '{\"n\": 42}' WHERE version = 1")
    report = runstore.doctor(f"sqlite:///{path}")
    assert {f.problem for f in report.findings} == {"definition does not match its content_hash"}
    assert len(report.findings) == 5
    assert os.path.exists(path)


def test_result_values_and_conversation_rows_edited_in_the_database(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "edited.db"
    url = f"sqlite:///{path}"
    with runstore.open(url) as store:
        store.results.put_success("kept", {"n": 1})
        store.results.put_success("edited", {"n": 2})
        store.conversations.save_conversation({"id": "c1", "source": "chat",
                                               "created_at": "2024-05-01T12:00:00Z"})
        store.conversations.save_messages([
            {"id": f"m{n}", "conversation_id": "c1", "position": n, "role": "user",
             "content": f"message {n}"} for n in range(3)])
    assert runstore.doctor(url).healthy
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE results SET value = CAST('{\"n\": 3}' AS BLOB) "
                     "WHERE key = 'edited'")
        conn.execute("UPDATE conversation_messages SET content = '\"changed\"' "
                     "WHERE id = 'm1'")
        conn.execute("UPDATE conversations SET metadata = 'not json' WHERE id = 'c1'")
    report = runstore.doctor(url)
    assert {(f.location, f.problem) for f in report.findings} == {
        ("results('edited')", "the value of result 'edited' does not match its content_hash"),
        ("conversation_messages('c1', 'm1')", "content does not match its content_hash"),
        ("conversations('c1')", "content does not match its content_hash"),
    }
