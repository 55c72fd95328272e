"""Files backend: a torn last line (a writer killed mid-append) never breaks a read."""

from __future__ import annotations

from pathlib import Path

import pytest

import runstore


@pytest.fixture
def store(tmp_path: Path) -> runstore.Store:
    return runstore.open(f"file://{tmp_path / 'store'}")


def events_file(store: runstore.Store, run_id: str) -> Path:
    return Path(store.url.removeprefix("file://")) / "logs" / "events" / f"{run_id}.jsonl"


def test_torn_last_line_is_ignored_with_a_warning(store: runstore.Store) -> None:
    store.logs.append("run-1", [{"message": f"m{n}"} for n in range(3)])
    path = events_file(store, "run-1")
    with open(path, "ab") as handle:
        handle.write(b'{"seq": 4, "ts": "2025-01-01T00:00:00+00:00", "mess')
    with pytest.warns(UserWarning, match="torn last line"):
        events = store.logs.get_log("run-1").events
    assert [e.seq for e in events] == [1, 2, 3]
    with pytest.warns(UserWarning, match="torn last line"):
        assert [e.seq for e in store.logs.iter_events("run-1", after_seq=2)] == [3]


def test_next_append_cuts_the_torn_line_and_continues_the_sequence(
    store: runstore.Store,
) -> None:
    store.logs.append("run-2", [{"message": "a"}, {"message": "b"}])
    path = events_file(store, "run-2")
    with open(path, "ab") as handle:
        handle.write(b'{"seq": 3, "ts": "2025')
    with pytest.warns(UserWarning, match="torn last line"):
        assert store.logs.append("run-2", {"message": "c"}) == 3
    assert [(e.seq, e.message) for e in store.logs.get_log("run-2").events] == [
        (1, "a"), (2, "b"), (3, "c")]
    assert path.read_bytes().count(b"\n") == 3


def test_a_damaged_middle_line_is_skipped_with_a_warning(store: runstore.Store) -> None:
    store.logs.append("run-3", [{"message": "a"}, {"message": "b"}, {"message": "c"}])
    path = events_file(store, "run-3")
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(lines[0] + b"not json\n" + lines[2])
    with pytest.warns(UserWarning, match="unreadable event"):
        assert [e.message for e in store.logs.iter_events("run-3")] == ["a", "c"]


def test_events_are_plain_json_lines(store: runstore.Store) -> None:
    store.logs.append("run-4", {"message": "hello", "data": {"k": 1}, "task_id": "t"})
    line = events_file(store, "run-4").read_text()
    assert line.endswith("\n")
    assert '"message":"hello"' in line
    assert '"data":{"k":1}' in line
