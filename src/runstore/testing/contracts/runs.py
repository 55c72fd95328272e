"""The runs repository contract: runs, tasks and their rules."""

from __future__ import annotations

from typing import Any

import pytest

from runstore.errors import AlreadyExists, Conflict, InvalidInput, NotFound, UnsupportedOperation
from runstore.models.runs import Run, RunStatus, TaskSpec
from runstore.store import Store
from runstore.testing.base import StoreFixtures
from runstore.testing.fixtures import unique_id

__all__ = ["RunsContract"]

CHAIN: list[dict[str, Any]] = [
    {"name": "a"}, {"name": "b", "depends_on": ["a"]}, {"name": "c", "depends_on": ["b"]}]


def new_run(store: Store, workflow_id: str | None = None) -> Run:
    return store.runs.create_run(workflow_id or unique_id("wf"), 1)


class RunsContract(StoreFixtures):
    def test_create_run_is_pending_and_round_trips(self, store: Store, observer: Store) -> None:
        wid = unique_id("wf")
        run = store.runs.create_run(wid, 3, metadata={"who": "ci", "n": [1, 2.5, None]})
        assert (run.workflow_id, run.workflow_version, run.status) == (wid, 3, RunStatus.PENDING)
        assert run.metadata == {"who": "ci", "n": [1, 2.5, None]}
        assert run.started_at is None
        assert run.finished_at is None
        assert observer.runs.get_run(run.id) == run

    def test_run_ids_are_unique_and_sort_by_creation(self, store: Store) -> None:
        wid = unique_id("wf")
        ids = [store.runs.create_run(wid).id for _ in range(20)]
        assert ids == sorted(ids)
        assert len(set(ids)) == 20

    @pytest.mark.parametrize(("workflow_id", "version", "metadata"), [
        ("../x", None, None), ("wf", 0, None), ("wf", "1", None), ("wf", None, {"x": float("nan")}),
        ("wf", None, {1: "a"}), ("wf", None, ["not", "a", "dict"]),
    ])
    def test_create_run_rejects_bad_input(self, store: Store, workflow_id: str, version: object,
                                          metadata: object) -> None:
        with pytest.raises(InvalidInput):
            store.runs.create_run(workflow_id, version, metadata=metadata)  # type: ignore[arg-type]

    def test_unknown_and_bad_ids(self, store: Store) -> None:
        with pytest.raises(NotFound):
            store.runs.get_run(unique_id("run"))
        with pytest.raises(NotFound):
            store.runs.get_task(unique_id("task"))
        with pytest.raises(NotFound):
            store.runs.get_attempt(unique_id("attempt"))
        with pytest.raises(NotFound):
            store.runs.get_tasks(unique_id("run"))
        for bad in ("../etc", "", "a/b", ".hidden"):
            with pytest.raises(InvalidInput):
                store.runs.get_run(bad)
            with pytest.raises(InvalidInput):
                store.runs.get_task(bad)

    def test_list_runs_newest_first_with_filters_and_cursor(self, store: Store) -> None:
        wid, other = unique_id("wf"), unique_id("wf")
        mine = [store.runs.create_run(wid).id for _ in range(7)]
        store.runs.create_run(other)
        store.runs.set_run_status(mine[2], "running")
        collected: list[str] = []
        cursor = None
        while True:
            page = store.runs.list_runs(workflow_id=wid, limit=3, cursor=cursor)
            assert len(page.items) <= 3
            collected.extend(run.id for run in page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
        assert collected == list(reversed(mine))
        running = store.runs.list_runs(workflow_id=wid, status="running").items
        assert [run.id for run in running] == [mine[2]]
        assert store.runs.list_runs(workflow_id=wid, status=RunStatus.FAILED).items == []
        for bad in (0, -1, 10**9, "5"):
            with pytest.raises(InvalidInput):
                store.runs.list_runs(limit=bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):
            store.runs.list_runs(status="bogus")

    def test_run_status_sets_times_and_reason(self, store: Store, observer: Store) -> None:
        run = new_run(store)
        running = store.runs.set_run_status(run.id, "running")
        assert running.status is RunStatus.RUNNING
        assert running.started_at is not None
        assert running.finished_at is None
        done = store.runs.set_run_status(run.id, RunStatus.FAILED, reason="disk full")
        assert done.finished_at is not None
        assert done.started_at == running.started_at
        assert done.finished_at >= done.started_at >= run.created_at
        assert observer.runs.get_run(run.id) == done
        assert done.status_reason == "disk full"

    def test_run_status_machine_and_compare_and_set(self, store: Store) -> None:
        run = new_run(store)
        with pytest.raises(Conflict):
            store.runs.set_run_status(run.id, "running", expected="ready")
        store.runs.set_run_status(run.id, "ready", expected="pending")
        with pytest.raises(Conflict):
            store.runs.set_run_status(run.id, "succeeded")  # ready -> succeeded is not allowed
        store.runs.set_run_status(run.id, "running", expected="ready")
        store.runs.set_run_status(run.id, "succeeded", expected="running")
        for status in RunStatus:
            with pytest.raises(Conflict):
                store.runs.set_run_status(run.id, status)
        assert store.runs.get_run(run.id).status is RunStatus.SUCCEEDED
        with pytest.raises(InvalidInput):
            store.runs.set_run_status(new_run(store).id, "finished")
        with pytest.raises(NotFound):
            store.runs.set_run_status(unique_id("run"), "ready")

    def test_add_tasks_in_order_with_dependencies(self, store: Store, observer: Store) -> None:
        run = new_run(store)
        added = store.runs.add_tasks(run.id, [
            TaskSpec(name="fetch", kind="external", spec={"queue": "gpu", "n": 2}),
            {"name": "train", "depends_on": ["fetch"]},
            {"name": "review", "kind": "gate", "depends_on": ["train", "fetch"]},
        ])
        assert [t.name for t in added] == ["fetch", "train", "review"]
        assert [t.kind for t in added] == ["external", "local", "gate"]
        assert all(t.status is RunStatus.PENDING and t.run_id == run.id for t in added)
        assert added[2].depends_on == ["train", "fetch"]
        assert added[0].spec == {"queue": "gpu", "n": 2}
        assert observer.runs.get_tasks(run.id) == added
        assert observer.runs.get_task(added[1].id) == added[1]
        later = store.runs.add_tasks(run.id, [{"name": "ship", "depends_on": ["review"]}],
                                     status="ready")
        assert later[0].status is RunStatus.READY
        assert [t.name for t in store.runs.get_tasks(run.id)] == [
            "fetch", "train", "review", "ship"]

    def test_add_tasks_rejects_bad_batches_whole(self, store: Store) -> None:
        run = new_run(store)
        store.runs.add_tasks(run.id, [{"name": "a"}])
        bad_batches: list[tuple[type[Exception], list[dict[str, object]]]] = [
            (InvalidInput, [{"name": "x", "depends_on": ["nope"]}]),
            (InvalidInput, [{"name": "x", "depends_on": ["y"]},
                            {"name": "y", "depends_on": ["x"]}]),
            (InvalidInput, [{"name": "x", "depends_on": ["x"]}]),
            (InvalidInput, [{"name": "x"}, {"name": "x"}]),
            (AlreadyExists, [{"name": "ok"}, {"name": "a"}]),
            (InvalidInput, [{"name": "bad/name"}]),
            (InvalidInput, [{"name": "x", "spec": {"v": float("inf")}}]),
            (InvalidInput, [{"name": "x", "unknown_field": 1}]),
            (InvalidInput, [{"name": "x", "kind": ""}]),
        ]
        for error, batch in bad_batches:
            with pytest.raises(error):
                store.runs.add_tasks(run.id, batch)
        assert [t.name for t in store.runs.get_tasks(run.id)] == ["a"]
        with pytest.raises(InvalidInput):
            store.runs.add_tasks(run.id, [{"name": "z"}], status="running")
        with pytest.raises(NotFound):
            store.runs.add_tasks(unique_id("run"), [{"name": "a"}])

    def test_no_tasks_can_be_added_to_a_finished_run(self, store: Store) -> None:
        run = new_run(store)
        store.runs.set_run_status(run.id, "cancelled", reason="user")
        with pytest.raises(Conflict):
            store.runs.add_tasks(run.id, [{"name": "late"}])
        assert store.runs.get_tasks(run.id) == []

    def test_task_status_machine_times_and_compare_and_set(self, store: Store) -> None:
        run = new_run(store)
        task = store.runs.add_tasks(run.id, CHAIN)[0]
        with pytest.raises(Conflict):
            store.runs.update_task_status(task.id, "ready", expected="running")
        ready = store.runs.update_task_status(task.id, "ready", expected="pending")
        assert ready.started_at is None
        running = store.runs.update_task_status(task.id, "running")
        assert running.started_at is not None
        assert running.finished_at is None
        waiting = store.runs.update_task_status(task.id, "waiting")
        assert waiting.started_at == running.started_at
        done = store.runs.update_task_status(task.id, "succeeded", expected=RunStatus.WAITING)
        assert done.finished_at is not None
        assert done.started_at == running.started_at
        assert store.runs.get_task(task.id) == done
        for status in ("running", "failed", "ready", "succeeded"):
            with pytest.raises(Conflict):
                store.runs.update_task_status(task.id, status)
        assert store.runs.get_task(task.id).status is RunStatus.SUCCEEDED
        with pytest.raises(InvalidInput):
            store.runs.update_task_status(task.id, "done")

    def test_delete_task_removes_its_attempts(self, store: Store, observer: Store) -> None:
        run = new_run(store)
        a, b, c = store.runs.add_tasks(run.id, CHAIN)
        with pytest.raises(Conflict):
            store.runs.delete_task(b.id)  # c depends on it
        attempt = store.runs.create_attempt(c.id, executor="slurm", external_id="42")
        store.runs.delete_task(c.id)
        with pytest.raises(NotFound):
            observer.runs.get_task(c.id)
        with pytest.raises(NotFound):
            observer.runs.get_attempt(attempt.id)
        assert [t.name for t in observer.runs.get_tasks(run.id)] == ["a", "b"]
        assert observer.runs.get_active_attempts(run.id) == []
        store.runs.delete_task(b.id)
        with pytest.raises(NotFound):
            store.runs.delete_task(b.id)
        assert store.runs.get_tasks(run.id) == [a]

    def test_a_run_and_its_tasks_commit_or_roll_back_together(
            self, store: Store, observer: Store) -> None:
        wid = unique_id("wf")
        if not store.capabilities.transactions:
            with pytest.raises(UnsupportedOperation):
                store.transaction()
            return
        with pytest.raises(RuntimeError), store.transaction():
            run = store.runs.create_run(wid)
            store.runs.add_tasks(run.id, CHAIN)
            raise RuntimeError("boom")
        with pytest.raises(NotFound):
            observer.runs.get_run(run.id)
        assert observer.runs.list_runs(workflow_id=wid).items == []
        with store.transaction():
            kept = store.runs.create_run(wid)
            store.runs.add_tasks(kept.id, CHAIN)
        assert len(observer.runs.get_tasks(kept.id)) == 3

    def test_delete_run_removes_tasks_attempts_and_claims(
            self, store: Store, observer: Store) -> None:
        wid = unique_id("wf")
        run, kept = store.runs.create_run(wid), store.runs.create_run(wid)
        a, b, c = store.runs.add_tasks(run.id, CHAIN)
        store.runs.add_tasks(kept.id, [{"name": "x"}], status="ready")
        store.runs.update_task_status(a.id, "ready")
        claim = store.runs.claim(unique_id("worker"), run_id=run.id)
        assert claim is not None
        attempt = store.runs.create_attempt(c.id, executor="slurm", external_id="7")
        store.runs.delete_run(run.id)
        seen = observer.runs
        gone = [(seen.get_run, run.id), (seen.get_tasks, run.id),
                *((seen.get_task, task.id) for task in (a, b, c)),
                *((seen.get_attempt, key) for key in (attempt.id, claim.attempt_id))]
        for lookup, key in gone:
            with pytest.raises(NotFound):
                lookup(key)
        with pytest.raises((NotFound, Conflict)):
            store.runs.heartbeat(claim)
        with pytest.raises(NotFound):
            store.runs.claim(unique_id("worker"), run_id=run.id)
        assert [r.id for r in observer.runs.list_runs(workflow_id=wid).items] == [kept.id]
        other = store.runs.claim(unique_id("worker"), run_id=kept.id)
        assert other is not None
        assert other.run_id == kept.id
        with pytest.raises(NotFound):
            store.runs.delete_run(run.id)
        for bad in ("../etc", "", "a/b"):
            with pytest.raises(InvalidInput):
                store.runs.delete_run(bad)

    def test_delete_run_in_a_rolled_back_transaction_keeps_it(
            self, store: Store, observer: Store) -> None:
        run = new_run(store)
        store.runs.add_tasks(run.id, CHAIN)
        if not store.capabilities.transactions:
            return
        with pytest.raises(RuntimeError), store.transaction():
            store.runs.delete_run(run.id)
            raise RuntimeError("boom")
        assert observer.runs.get_run(run.id) == run
        assert [t.name for t in observer.runs.get_tasks(run.id)] == ["a", "b", "c"]
