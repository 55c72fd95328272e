"""prune --archive-to: runs are copied and verified before anything is deleted, and an
archive that does not match leaves everything in place."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import runstore
from runstore.errors import InvalidInput, NotFound
from runstore.models.runs import Run
from runstore.services.archive import ArchiveMismatch, archive_run
from tests.lifecycle.conftest import Made, make_run, url_for


@pytest.fixture(params=["sqlite", "files"])
def archive_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return url_for(request.param, tmp_path, request, "archive")


def _snapshot(store: runstore.Store, made: Made) -> dict[str, Any]:
    """Everything that belongs to a run, read through the public API."""
    run_id, cid = made.run.id, made.conversation_id
    tasks = store.runs.get_tasks(run_id)
    return {
        "run": store.runs.get_run(run_id),
        "tasks": tasks,
        "attempts": [store.runs.list_attempts(task.id) for task in tasks],
        "log": store.logs.get_log(run_id),
        "conversation": store.conversations.get_conversation(cid),
        "messages": store.conversations.get_messages(cid),
        "attachments": store.conversations.get_attachments(cid),
        "bytes": store.artifacts.get(made.attachment_sha256),
    }


def _intact(store: runstore.Store, made: list[Made], before: list[dict[str, Any]]) -> None:
    assert [_snapshot(store, one) for one in made] == before


def test_archive_is_verified_then_the_runs_go(store: runstore.Store, archive_url: str) -> None:
    made = [make_run(store, "etl", n=n, events=5) for n in range(3)]
    kept = make_run(store, "etl", n=3)
    before = [_snapshot(store, one) for one in made]
    report = runstore.prune(store, {"keep_last": 1, "archive_to": archive_url})
    assert report.run_ids == [one.run.id for one in made]
    assert report.archived_to == archive_url
    assert report.archived == {"runs": 3, "tasks": 6, "attempts": 3, "log_records": 3,
                               "log_events": 15, "conversations": 3, "messages": 3,
                               "attachments": 3}
    with runstore.open(archive_url) as archive:
        _intact(archive, made, before)
        assert {run.id for run in archive.runs.list_runs().items} == set(report.run_ids)
    for one in made:
        with pytest.raises(NotFound):
            store.runs.get_run(one.run.id)
    assert store.runs.get_run(kept.run.id) == kept.run


def test_an_interrupted_archive_resumes_without_duplicates(store: runstore.Store) -> None:
    made = make_run(store, "etl", events=4)
    before = _snapshot(store, made)
    with runstore.open("memory://") as archive:
        archive_run(store, archive, made.run.id)
        store.logs.append(made.run.id, [{"message": "late event"}])  # the log grew since
        before["log"] = store.logs.get_log(made.run.id)
        report = runstore.prune(store, {"keep_last": 0, "archive_to": archive})
        assert report.archived["log_events"] == 5
        _intact(archive, [made], [before])
    assert store.runs.list_runs().items == []


def _conflicting_run(store: runstore.Store, archive: runstore.Store, run: Run) -> None:
    runs: Any = archive.runs  # the transfer port writes a run with its id
    runs.import_records("runs", [run.model_copy(update={"metadata": {"n": -1}})])


def _conflicting_event(store: runstore.Store, archive: runstore.Store, run: Run) -> None:
    archive.logs.append(run.id, [{"message": "not what the source logged"}])


def _conflicting_message(store: runstore.Store, archive: runstore.Store, run: Run) -> None:
    cid = f"conv-{run.id}"
    archive.conversations.save_conversation(store.conversations.get_conversation(cid))
    archive.conversations.save_messages([{"id": "m9", "conversation_id": cid, "position": 9,
                                          "role": "user", "content": "extra"}])


@pytest.mark.parametrize("conflict", [_conflicting_run, _conflicting_event,
                                      _conflicting_message])
def test_an_archive_that_does_not_match_leaves_everything_in_place(
        store: runstore.Store, conflict: Any) -> None:
    made = [make_run(store, "etl", n=n) for n in range(3)]
    before = [_snapshot(store, one) for one in made]
    with runstore.open("memory://") as archive:
        conflict(store, archive, made[2].run)  # the last run archived: the others were copied
        with pytest.raises(ArchiveMismatch, match=made[2].run.id):
            runstore.prune(store, {"keep_last": 0, "archive_to": archive})
        assert {run.id for run in archive.runs.list_runs().items} >= {made[0].run.id}
    _intact(store, made, before)


def test_the_archive_cannot_be_the_store_itself(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    with runstore.open(url) as store:
        make_run(store, "etl")
        with pytest.raises(InvalidInput, match="store being pruned"):
            runstore.prune(store, {"keep_last": 0, "archive_to": store})
        with pytest.raises(InvalidInput, match="store being pruned"):
            runstore.prune(store, {"keep_last": 0, "archive_to": url})
        assert len(store.runs.list_runs().items) == 1


def test_a_dry_run_does_not_touch_the_archive(tmp_path: Path) -> None:
    archive = tmp_path / "archive.db"
    with runstore.open("memory://") as store:
        make_run(store, "etl")
        report = runstore.prune(store, {"keep_last": 0, "dry_run": True,
                                        "archive_to": f"sqlite:///{archive}"})
        assert len(report.run_ids) == 1
        assert report.archived == {}
        assert len(store.runs.list_runs().items) == 1
    assert not archive.exists()


_ARCHIVE_A_LONG_LOG = """
import resource, sys
import runstore
from runstore.services.archive import archive_run

source, archive, events = sys.argv[1], sys.argv[2], int(sys.argv[3])
with runstore.open(source) as store, runstore.open(archive) as target:
    run = store.runs.create_run("etl")
    for start in range(0, events, 5000):
        store.logs.append(run.id, [{"message": f"event {n} of a long log", "data": {"n": n}}
                                   for n in range(start, start + 5000)])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    counts = archive_run(store, target, run.id)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(counts["log_events"], grown)
"""


def test_archiving_a_long_log_streams_it(tmp_path: Path) -> None:
    events = 100_000  # held in memory, source and copy would take some 200 MB
    done = subprocess.run(
        [sys.executable, "-c", _ARCHIVE_A_LONG_LOG, f"sqlite:///{tmp_path / 'a.db'}",
         f"sqlite:///{tmp_path / 'archive.db'}", str(events)],
        capture_output=True, text=True, check=True, timeout=240)
    archived, grown_kb = map(int, done.stdout.split())
    assert archived == events
    assert grown_kb < 40_000, f"peak memory grew by {grown_kb / 1024:.0f} MB while archiving"
