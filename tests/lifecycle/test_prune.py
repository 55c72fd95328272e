"""runstore.prune: every policy, --dry-run, what a pruned run takes with it, and what stays."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

import runstore
from runstore.errors import InvalidInput, NotFound
from runstore.models.common import utcnow
from runstore.services.retention import RetentionPolicy, parse_duration, plan
from tests.lifecycle.conftest import Made, make_run

DAY = timedelta(days=1)


def _ids(made: list[Made]) -> list[str]:
    return [m.run.id for m in made]


def _remaining(store: runstore.Store) -> set[str]:
    return {run.id for run in store.runs.list_runs(limit=1000).items}


@pytest.mark.parametrize(("text", "expected"), [
    ("30d", timedelta(days=30)), ("12h", timedelta(hours=12)), ("2w", timedelta(weeks=2)),
    ("45s", timedelta(seconds=45)), ("90m", timedelta(minutes=90)),
    ("1d12h", timedelta(days=1, hours=12)), (" 7D ", timedelta(days=7)), ("0s", timedelta(0)),
])
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "30", "d", "30x", "-1d", "1.5d", "30 days", "1d 2h"])
def test_bad_durations_are_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput, match="invalid duration"):
        parse_duration(text)


@pytest.mark.parametrize(("fields", "message"), [
    ({}, "needs older_than, keep_last or keep_failed_for"),
    ({"older_than": "3 weeks"}, "older_than: invalid duration"),
    ({"older_than": 30}, "older_than: expected a duration"),
    ({"keep_last": -1}, "keep_last"),
    ({"older_than": "30d", "keep_failed_for": "7d"}, "cannot be shorter than older_than"),
    ({"keep_last": 1, "archive_to": "archive.db"}, "archive_to: expected a store URL"),
    ({"keep_last": 1, "keep_forever": True}, "keep_forever"),
])
def test_bad_policies_are_invalid_input(fields: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        RetentionPolicy(**fields)


def test_older_than_prunes_only_old_finished_runs(store: runstore.Store) -> None:
    done = [make_run(store, "etl", status, n=n)
            for n, status in enumerate(["succeeded", "failed", "cancelled"])]
    active = make_run(store, "etl", "running", n=9)
    pending = store.runs.create_run("etl")
    assert runstore.prune(store, {"older_than": "30d"}, now=utcnow() + 29 * DAY).run_ids == []
    report = runstore.prune(store, {"older_than": "30d"}, now=utcnow() + 31 * DAY)
    assert report.run_ids == _ids(done)  # oldest first
    assert (report.kept, report.active) == (0, 2)
    assert report.counts == {"runs": 3, "tasks": 6, "logs": 3, "conversations": 3}
    assert _remaining(store) == {active.run.id, pending.id}
    for made in done:
        with pytest.raises(NotFound):
            store.logs.get_log(made.run.id)
        with pytest.raises(NotFound):
            store.conversations.get_conversation(made.conversation_id)
        assert store.artifacts.exists(made.attachment_sha256)  # blobs are gc's to remove
    assert store.logs.get_log(active.run.id).record is not None
    assert store.conversations.get_conversation(active.conversation_id).run_id == active.run.id


def test_keep_last_keeps_the_newest_finished_runs_of_each_workflow(
        store: runstore.Store) -> None:
    etl = [make_run(store, "etl", n=n) for n in range(4)]
    train = [make_run(store, "train", "failed", n=n) for n in range(3)]
    running = make_run(store, "etl", "running", n=5)  # newest, but not finished: not counted
    report = runstore.prune(store, {"keep_last": 2})
    assert sorted(report.run_ids) == sorted(_ids(etl[:2]) + _ids(train[:1]))
    assert report.kept == 4
    assert _remaining(store) == set(_ids(etl[2:]) + _ids(train[1:]) + [running.run.id])
    assert runstore.prune(store, {"keep_last": 2}).run_ids == []
    assert runstore.prune(store, {"keep_last": 0}).run_ids == _ids(etl[2:]) + _ids(train[1:])
    assert _remaining(store) == {running.run.id}


def test_keep_last_and_older_than_both_must_let_a_run_go(store: runstore.Store) -> None:
    made = [make_run(store, "etl", n=n) for n in range(4)]
    policy = RetentionPolicy(older_than="30d", keep_last=1)
    assert runstore.prune(store, policy, now=utcnow() + 10 * DAY).run_ids == []
    report = runstore.prune(store, policy, now=utcnow() + 40 * DAY)
    assert report.run_ids == _ids(made[:3])
    assert _remaining(store) == {made[3].run.id}


def test_failed_runs_are_kept_for_longer(store: runstore.Store) -> None:
    ok = make_run(store, "etl", "succeeded", n=0)
    failed = make_run(store, "etl", "failed", n=1)
    skipped = make_run(store, "etl", "skipped", n=2)
    policy = {"older_than": "30d", "keep_failed_for": "90d"}
    report = runstore.prune(store, policy, now=utcnow() + 40 * DAY)
    assert report.run_ids == [ok.run.id, skipped.run.id]
    assert _remaining(store) == {failed.run.id}
    assert runstore.prune(store, policy, now=utcnow() + 89 * DAY).run_ids == []
    assert runstore.prune(store, policy, now=utcnow() + 91 * DAY).run_ids == [failed.run.id]


def test_keep_failed_for_alone_prunes_only_failed_runs(store: runstore.Store) -> None:
    ok = make_run(store, "etl", "succeeded", n=0)
    failed = make_run(store, "etl", "failed", n=1)
    report = runstore.prune(store, {"keep_failed_for": "7d"}, now=utcnow() + 8 * DAY)
    assert report.run_ids == [failed.run.id]
    assert _remaining(store) == {ok.run.id}


def test_dry_run_reports_the_same_and_changes_nothing(store: runstore.Store) -> None:
    made = [make_run(store, "etl", n=n) for n in range(3)]
    make_run(store, "etl", "running", n=3)
    before = runstore.prune(store, {"keep_last": 1, "dry_run": True})
    assert before.dry_run
    assert before.run_ids == _ids(made[:2])
    assert before.counts == {"runs": 2, "tasks": 4, "logs": 2, "conversations": 2}
    assert len(_remaining(store)) == 4
    for one in made:
        assert store.runs.get_tasks(one.run.id)
        assert len(store.logs.get_log(one.run.id).events) == 3
        assert store.conversations.get_messages(one.conversation_id)
    assert plan(store, RetentionPolicy(keep_last=1)).run_ids == before.run_ids
    after = runstore.prune(store, {"keep_last": 1})
    assert not after.dry_run
    assert (after.run_ids, after.counts) == (before.run_ids, before.counts)


def test_metric_aggregates_and_unlinked_records_stay(store: runstore.Store) -> None:
    made = make_run(store, "etl")
    store.metrics.record_execution({"workflow_id": "etl", "workflow_version": 1,
                                    "run_id": made.run.id, "success": True, "duration_s": 2.0})
    store.conversations.save_conversation({"id": "standalone", "source": "chat"})
    store.logs.append("not-a-run", [{"message": "a log without a run"}])
    runstore.prune(store, {"keep_last": 0})
    assert _remaining(store) == set()
    assert store.metrics.get_summary("etl").count == 1
    assert store.conversations.get_conversation("standalone").source == "chat"
    assert len(store.logs.get_log("not-a-run").events) == 1


def test_an_interrupted_prune_finishes_on_the_next_run(store: runstore.Store) -> None:
    made = make_run(store, "etl")
    store.logs.delete(made.run.id)  # as if a prune stopped after deleting the log
    report = runstore.prune(store, {"keep_last": 0})
    assert report.counts == {"runs": 1, "tasks": 2, "logs": 0, "conversations": 1}
    assert _remaining(store) == set()


def test_retention_policy_from_the_yaml_config(tmp_path: Path) -> None:
    config = tmp_path / "runstore.yaml"
    config.write_text("default: sqlite:///data/runstore.db\n"
                      "retention:\n  older_than: 30d\n  keep_last: 5\n"
                      "  keep_failed_for: 90d\n  archive_to: sqlite:///archive/old.db\n")
    loaded = runstore.StoreConfig.model_validate({"retention": {"keep_last": 1}}).retention
    assert loaded == RetentionPolicy(keep_last=1)
    from runstore.registry.config import load_config

    policy = load_config(config).retention
    assert policy is not None
    assert (policy.older_than, policy.keep_last, policy.keep_failed_for) == (
        timedelta(days=30), 5, timedelta(days=90))
    assert policy.archive_to == f"sqlite:///{tmp_path / 'archive/old.db'}"
    config.write_text("retention:\n  older_than: a month\n")
    with pytest.raises(InvalidInput, match=r"retention: .*older_than: invalid duration"):
        load_config(config)
    config.write_text("retention:\n  keep_everything: true\n")
    with pytest.raises(InvalidInput, match="retention"):
        load_config(config)


def test_the_readme_retention_config_is_valid(tmp_path: Path) -> None:
    import re

    from runstore.registry.config import load_config

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    [block] = [b for b in re.findall(r"```yaml\n(.*?)```", readme, re.DOTALL)
               if "retention:" in b]
    (tmp_path / "runstore.yaml").write_text(block)
    policy = load_config(tmp_path / "runstore.yaml").retention
    assert policy is not None
    assert (policy.keep_last, policy.keep_failed_for) == (10, timedelta(days=90))
