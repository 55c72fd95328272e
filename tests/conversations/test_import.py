"""``runstore conversations import|ls|show`` and the JSONL import service."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

import runstore
from runstore.cli.app import app
from runstore.errors import InvalidInput
from runstore.services.conversations import import_file

runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'conversations.db'}"


def line(cid: str, day: int, **extra: Any) -> dict[str, Any]:
    return {"id": cid, "source": "chat", "title": f"About {cid}",
            "created_at": f"2024-05-{day:02d}T10:00:00Z",
            "messages": [{"role": "user", "content": "Hello there"},
                         {"role": "assistant",
                          "content": [{"type": "text", "text": "Hi!"},
                                      {"type": "tool_call", "data": {"name": "search"}}]}],
            **extra}


def write(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(item) + b"\n" for item in lines))
    return path


def test_import_ls_show_and_reimport(tmp_path: Path, url: str) -> None:
    photo = base64.b64encode(b"\x89PNG same bytes").decode()
    data = write(tmp_path / "chats.jsonl", [
        line("c1", 1, attachments=[{"name": "p.png", "media_type": "image/png",
                                    "message_id": "m0", "data_base64": photo}]),
        line("c2", 2, run_id="run-7", attachments=[{"name": "copy.png", "data_base64": photo}]),
        line("c3", 3),
    ])
    first = runner.invoke(app, ["conversations", "import", str(data), "-u", url, "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output) == {
        "conversations": 3, "messages": 6, "attachments": 2,
        "changed": {"conversations": 3, "messages": 6, "attachments": 2}}
    again = runner.invoke(app, ["conversations", "import", str(data), "-u", url, "--json"])
    assert json.loads(again.output)["changed"] == {"conversations": 0, "messages": 0,
                                                   "attachments": 0}
    listed = runner.invoke(app, ["conversations", "ls", "-u", url, "--json", "--limit", "2"])
    page = json.loads(listed.output)
    assert [c["id"] for c in page["items"]] == ["c3", "c2"]
    rest = runner.invoke(app, ["conversations", "ls", "-u", url, "--json",
                               "--cursor", page["next_cursor"]])
    assert [c["id"] for c in json.loads(rest.output)["items"]] == ["c1"]
    by_run = runner.invoke(app, ["conversations", "ls", "-u", url, "--json", "--run", "run-7"])
    assert [c["id"] for c in json.loads(by_run.output)["items"]] == ["c2"]
    shown = json.loads(runner.invoke(app, ["conversations", "show", "c1", "-u", url,
                                           "--json"]).output)
    assert [m["id"] for m in shown["messages"]] == ["m0", "m1"]
    assert shown["messages"][1]["content"][1]["data"] == {"name": "search"}
    assert shown["attachments"][0]["message_id"] == "m0"
    with runstore.open(url) as store:
        shas = {store.conversations.get_attachments(c)[0].sha256 for c in ("c1", "c2")}
        assert len(shas) == 1
        assert store.artifacts.get(shas.pop()) == b"\x89PNG same bytes"
    text = runner.invoke(app, ["conversations", "show", "c1", "-u", url])
    assert "Hello there" in text.output
    assert "p.png" in text.output


def test_show_output_is_an_import_line(tmp_path: Path, url: str) -> None:
    write(tmp_path / "one.jsonl", [line("c1", 1)])
    runner.invoke(app, ["conversations", "import", str(tmp_path / "one.jsonl"), "-u", url])
    shown = runner.invoke(app, ["conversations", "show", "c1", "-u", url, "--json"]).output
    (tmp_path / "back.jsonl").write_bytes(orjson.dumps(json.loads(shown)) + b"\n")
    again = runner.invoke(app, ["conversations", "import", str(tmp_path / "back.jsonl"),
                                "-u", url, "--json"])
    assert json.loads(again.output)["changed"]["messages"] == 0


def test_a_bad_line_is_named_and_its_batch_not_written(tmp_path: Path, url: str) -> None:
    bad = line("c2", 2)
    bad["messages"][1]["role"] = ""
    data = write(tmp_path / "bad.jsonl", [line("c1", 1), bad])
    result = runner.invoke(app, ["conversations", "import", str(data), "-u", url])
    assert result.exit_code == 1
    assert "bad.jsonl line 2" in result.output
    assert "role" in result.output
    with runstore.open(url) as store:
        assert store.conversations.list_conversations().items == []


@pytest.mark.parametrize(("content", "problem"), [
    (b"not json\n", "not JSON"),
    (b"[1, 2]\n", "expected a JSON object"),
    (b'{"id": "../x", "source": "s"}\n', "id"),
    (b'{"id": "c", "source": "s", "messages": [{"conversation_id": "other", "role": "u",'
     b' "content": "x"}]}\n', "another conversation"),
    (b'{"id": "c", "source": "s", "attachments": [{"name": "a", "data_base64": "%%%"}]}\n',
     "base64"),
    (b'{"id": "c", "source": "s", "attachments": [{"name": "a", "data_base64": "",'
     b' "size": 3}]}\n', "size"),
])
def test_bad_input_raises_invalid_input(tmp_path: Path, content: bytes, problem: str) -> None:
    (tmp_path / "x.jsonl").write_bytes(content)
    with runstore.open("memory://") as store, pytest.raises(InvalidInput, match=problem):
        import_file(store, tmp_path / "x.jsonl")


def test_import_on_a_store_without_transactions(tmp_path: Path) -> None:
    data = write(tmp_path / "chats.jsonl", [line(f"c{n}", n + 1) for n in range(5)])
    with runstore.open(f"file://{tmp_path / 'files'}") as store:
        report = import_file(store, data, batch_size=2)
        assert report.changed["messages"] == 10
        assert import_file(store, data, batch_size=2).changed["messages"] == 0
        assert len(store.conversations.get_messages("c4")) == 2


def test_show_unknown_conversation_exits_3(url: str) -> None:
    result = runner.invoke(app, ["conversations", "show", "nope", "-u", url])
    assert result.exit_code == 3
