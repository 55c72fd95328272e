"""The runs repository contract: attempts and external jobs."""

from __future__ import annotations

import pytest

from runstore.errors import Conflict, InvalidInput, NotFound
from runstore.models.runs import RunStatus
from runstore.store import Store
from runstore.testing.base import StoreFixtures
from runstore.testing.fixtures import unique_id

__all__ = ["AttemptsContract"]


def new_task_id(store: Store, *, status: str = "pending") -> tuple[str, str]:
    run = store.runs.create_run(unique_id("wf"))
    task = store.runs.add_tasks(run.id, [{"name": "job"}], status=status)[0]
    return run.id, task.id


class AttemptsContract(StoreFixtures):
    def test_attempts_are_numbered_and_become_current(self, store: Store,
                                                      observer: Store) -> None:
        run_id, task_id = new_task_id(store)
        with pytest.raises(NotFound):
            store.runs.get_current_attempt(task_id)
        assert store.runs.list_attempts(task_id) == []
        first = store.runs.create_attempt(task_id)
        second = store.runs.create_attempt(task_id, executor="slurm", external_id="job-991")
        assert (first.number, second.number) == (1, 2)
        assert (first.status, first.run_id, first.task_id) == (RunStatus.PENDING, run_id, task_id)
        assert (second.executor, second.external_id) == ("slurm", "job-991")
        assert observer.runs.get_current_attempt(task_id) == second
        assert observer.runs.get_task(task_id).current_attempt_id == second.id
        assert observer.runs.list_attempts(task_id) == [first, second]
        assert observer.runs.get_attempt(first.id) == first

    def test_attempt_numbers_count_up_without_gaps(self, store: Store) -> None:
        _, task_id = new_task_id(store)
        numbers = [store.runs.create_attempt(task_id).number for _ in range(5)]
        assert numbers == [1, 2, 3, 4, 5]

    def test_update_attempt_records_job_progress(self, store: Store, observer: Store) -> None:
        _, task_id = new_task_id(store)
        attempt = store.runs.create_attempt(task_id, executor="aws-batch")
        submitted = store.runs.update_attempt(attempt.id, status="waiting", external_id="arn:1")
        assert submitted.external_id == "arn:1"
        assert submitted.started_at is None
        running = store.runs.update_attempt(attempt.id, status="running", expected="waiting")
        assert running.started_at is not None
        done = store.runs.update_attempt(attempt.id, status="succeeded",
                                         outputs={"rows": 12, "files": ["a.parquet"]})
        assert done.finished_at is not None
        assert done.started_at == running.started_at
        assert done.outputs == {"rows": 12, "files": ["a.parquet"]}
        assert done.external_id == "arn:1"
        assert done.executor == "aws-batch"
        assert observer.runs.get_attempt(attempt.id) == done

    def test_update_attempt_checks_state_machine_and_expected(self, store: Store) -> None:
        _, task_id = new_task_id(store)
        attempt = store.runs.create_attempt(task_id)
        with pytest.raises(Conflict):
            store.runs.update_attempt(attempt.id, status="running", expected="waiting")
        with pytest.raises(Conflict):
            store.runs.update_attempt(attempt.id, error="x", expected="running")
        failed = store.runs.update_attempt(attempt.id, status="failed", error="OOM killed")
        assert failed.error == "OOM killed"
        with pytest.raises(Conflict):
            store.runs.update_attempt(attempt.id, status="running")
        again = store.runs.update_attempt(attempt.id, error="OOM killed (exit 137)")
        assert again.status is RunStatus.FAILED
        assert again.error == "OOM killed (exit 137)"
        assert store.runs.get_attempt(attempt.id) == again
        with pytest.raises(InvalidInput):
            store.runs.update_attempt(attempt.id, outputs={"bad": float("nan")})
        with pytest.raises(InvalidInput):
            store.runs.update_attempt(attempt.id, status="nope")
        with pytest.raises(NotFound):
            store.runs.update_attempt(unique_id("attempt"), status="running")
        assert store.runs.get_attempt(attempt.id) == again

    def test_active_attempts_exclude_terminal_ones(self, store: Store) -> None:
        run_id, task_id = new_task_id(store)
        other = store.runs.add_tasks(run_id, [{"name": "other"}])[0]
        old = store.runs.create_attempt(task_id, executor="slurm", external_id="1")
        store.runs.update_attempt(old.id, status="cancelled")
        live = store.runs.create_attempt(task_id, executor="slurm", external_id="2")
        polled = store.runs.update_attempt(store.runs.create_attempt(other.id).id,
                                           status="running")
        active = store.runs.get_active_attempts(run_id)
        assert sorted(a.id for a in active) == sorted([live.id, polled.id])
        assert store.runs.get_active_attempts(new_task_id(store)[0]) == []
        with pytest.raises(NotFound):
            store.runs.get_active_attempts(unique_id("run"))

    def test_no_attempt_on_a_finished_task(self, store: Store) -> None:
        _, task_id = new_task_id(store)
        store.runs.update_task_status(task_id, "skipped")
        with pytest.raises(Conflict):
            store.runs.create_attempt(task_id)
        assert store.runs.list_attempts(task_id) == []
        with pytest.raises(NotFound):
            store.runs.create_attempt(unique_id("task"))
        with pytest.raises(InvalidInput):
            store.runs.create_attempt(task_id, executor=12)  # type: ignore[arg-type]
