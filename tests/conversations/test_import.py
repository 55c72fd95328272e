"""``runstore conversations import|ls|show`` and the JSONL import service."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

import runstore
from runstore.cli.app import app
from runstore.errors import InvalidInput
from runstore.models.message_check import CheckedMessages
from runstore.ports import ImportDigests
from runstore.services.conversations import import_file, parse_line

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
        "conversations": 3, "messages": 6, "attachments": 2, "skipped": 0,
        "changed": {"conversations": 3, "messages": 6, "attachments": 2}}
    again = runner.invoke(app, ["conversations", "import", str(data), "-u", url, "--json"])
    assert json.loads(again.output) == {  # every line skipped by its import digest
        "conversations": 3, "messages": 0, "attachments": 0, "skipped": 3,
        "changed": {"conversations": 0, "messages": 0, "attachments": 0}}
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


def test_lines_checked_in_one_pass_and_lines_checked_record_by_record_mix(
        tmp_path: Path, url: str) -> None:
    unusual = line("c2", 2)  # a time in another zone: the model converts it to UTC
    unusual["messages"][0]["created_at"] = "2024-05-02T12:00:00+02:00"
    data = write(tmp_path / "mixed.jsonl", [line("c1", 1), unusual, line("c3", 3)])
    assert [type(parse_line(text).messages) is CheckedMessages
            for text in data.read_bytes().splitlines()] == [True, False, True]
    with runstore.open(url) as store:
        first = import_file(store, data, batch_size=3)
        assert first.changed == {"conversations": 3, "messages": 6, "attachments": 0}
        converted = store.conversations.get_messages("c2")[0]
        assert converted.created_at == datetime(2024, 5, 2, 10, tzinfo=UTC)
        checked = store.conversations.get_messages("c1")[1]
        assert checked.content[1].data == {"name": "search"}  # type: ignore[union-attr]
        # Saved again as models, every record is unchanged: both paths hash alike.
        again = [m for cid in ("c1", "c2", "c3") for m in store.conversations.get_messages(cid)]
        assert store.conversations.save_messages(again) == 0


def test_show_unknown_conversation_exits_3(url: str) -> None:
    result = runner.invoke(app, ["conversations", "show", "nope", "-u", url])
    assert result.exit_code == 3


@pytest.fixture(params=["memory", "files", "sqlite", "duckdb", "postgresql", "mariadb"])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    urls = {"memory": "memory://", "files": f"file://{tmp_path / 'files'}",
            "sqlite": f"sqlite:///{tmp_path / 'a.db'}",
            "duckdb": f"duckdb:///{tmp_path / 'a.duckdb'}"}
    if request.param in urls:
        return urls[request.param]
    server = request.getfixturevalue(f"{request.param.replace('postgresql', 'postgres')}_url")
    return f"{server}?artifacts=file://{tmp_path / 'blobs'}"


def test_reimports_skip_only_lines_whose_conversation_is_unchanged(tmp_path: Path,
                                                                   any_url: str) -> None:
    data = write(tmp_path / "chats.jsonl", [line("c1", 1), line("c2", 2), line("c3", 3)])
    with runstore.open(any_url) as store:
        keeps = isinstance(store.conversations, ImportDigests)  # the SQL backends
        first = import_file(store, data, batch_size=2)
        assert (first.changed, first.skipped) == (
            {"conversations": 3, "messages": 6, "attachments": 0}, 0)
        again = import_file(store, data, batch_size=2)
        assert (again.changed["messages"], again.skipped) == (0, 3 if keeps else 0)
        # Changes made since the import, through each kind of save:
        store.conversations.save_messages([{"conversation_id": "c1", "id": "m0",
                                            "position": 0, "role": "user",
                                            "content": "edited"}])
        store.conversations.attach("c2", b"notes", name="notes.txt")
        store.conversations.save_conversation({"id": "c3", "source": "chat", "title": "New",
                                               "created_at": "2024-05-03T10:00:00Z"})
        restored = import_file(store, data, batch_size=2)
        assert (restored.changed, restored.skipped) == (
            {"conversations": 1, "messages": 1, "attachments": 0}, 0)
        assert store.conversations.get_messages("c1")[0].content == "Hello there"
        assert store.conversations.get_conversation("c3").title == "About c3"
        assert [a.name for a in store.conversations.get_attachments("c2")] == ["notes.txt"]
        assert import_file(store, data, batch_size=2).skipped == (3 if keeps else 0)
        # A changed line is read again; the others are still skipped.
        edited = line("c2", 2)
        edited["messages"][0]["content"] = "Hello again"
        write(data, [line("c1", 1), edited, line("c3", 3)])
        changed = import_file(store, data, batch_size=2)
        assert (changed.changed["messages"], changed.skipped) == (1, 2 if keeps else 0)
        assert store.conversations.get_messages("c2")[0].content == "Hello again"


def test_a_failed_batch_records_no_import_digest(tmp_path: Path, url: str) -> None:
    bad = line("c2", 2)
    bad["messages"][1]["role"] = ""
    data = write(tmp_path / "chats.jsonl", [line("c1", 1), bad])
    with runstore.open(url) as store:
        with pytest.raises(InvalidInput, match="line 2"):
            import_file(store, data, batch_size=2)
        write(data, [line("c1", 1), line("c2", 2)])
        fixed = import_file(store, data, batch_size=2)
        assert (fixed.changed["conversations"], fixed.skipped) == (2, 0)
        assert import_file(store, data, batch_size=2).skipped == 2
