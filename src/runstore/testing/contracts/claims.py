"""The runs repository contract: workers claim, heartbeat and release tasks."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from runstore.errors import Conflict, InvalidInput, NotFound
from runstore.models.common import utcnow
from runstore.models.runs import Claim, RunStatus
from runstore.store import Store
from runstore.testing.base import StoreFixtures
from runstore.testing.fixtures import run_in_processes, unique_id
from runstore.testing.run_workers import work_until_empty

__all__ = ["ClaimsContract"]


def ready_run(store: Store, count: int = 1) -> tuple[str, list[str]]:
    run = store.runs.create_run(unique_id("wf"))
    tasks = store.runs.add_tasks(run.id, [{"name": f"t{n}"} for n in range(count)],
                                 status="ready")
    return run.id, [task.id for task in tasks]


def claim_until(store: Store, worker: str, run_id: str, *, seconds: float = 30) -> Claim:
    """Poll ``claim`` until it returns a task (the way a worker waits for a lease to expire)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        claim = store.runs.claim(worker, lease_seconds=30, run_id=run_id)
        if claim is not None:
            return claim
        time.sleep(0.01)  # pacing only; the loop ends when claim() succeeds
    raise AssertionError(f"nothing became claimable in run {run_id} within {seconds}s")


class ClaimsContract(StoreFixtures):
    def test_claim_leases_a_ready_task_with_a_new_attempt(self, store: Store,
                                                          observer: Store) -> None:
        run_id, [task_id] = ready_run(store)
        before = utcnow()
        claim = store.runs.claim("worker-1", lease_seconds=120, run_id=run_id)
        assert claim is not None
        assert (claim.task_id, claim.run_id, claim.worker_id) == (task_id, run_id, "worker-1")
        assert claim.lease_expires_at > before
        task = observer.runs.get_task(task_id)
        assert task.status is RunStatus.RUNNING
        assert task.started_at is not None
        assert (task.worker_id, task.current_attempt_id) == ("worker-1", claim.attempt_id)
        attempt = observer.runs.get_current_attempt(task_id)
        assert (attempt.number, attempt.status, attempt.worker_id) == (
            1, RunStatus.RUNNING, "worker-1")
        assert observer.runs.get_active_attempts(run_id) == [attempt]
        assert store.runs.claim("worker-2", run_id=run_id) is None

    def test_only_ready_tasks_whose_dependencies_succeeded(self, store: Store) -> None:
        run = store.runs.create_run(unique_id("wf"))
        a, b, _c, d = store.runs.add_tasks(run.id, [
            {"name": "a"}, {"name": "b", "depends_on": ["a"]},
            {"name": "c", "depends_on": ["a", "b"]}, {"name": "d"}], status="ready")
        store.runs.update_task_status(d.id, "pending")
        first = store.runs.claim("w", run_id=run.id)
        assert first is not None
        assert first.task_id == a.id
        assert store.runs.claim("w", run_id=run.id) is None
        store.runs.release(first, "succeeded")
        second = store.runs.claim("w", run_id=run.id)
        assert second is not None
        assert second.task_id == b.id
        store.runs.release(second, "failed", error="bad input")
        assert store.runs.claim("w", run_id=run.id) is None  # c needs b to succeed
        store.runs.update_task_status(d.id, "ready")
        third = store.runs.claim("w", run_id=run.id)
        assert third is not None
        assert third.task_id == d.id

    def test_claim_without_a_run_takes_any_run(self, store: Store) -> None:
        assert store.runs.claim("idle") is None
        run_id, [task_id] = ready_run(store)
        claim = store.runs.claim("any")
        assert claim is not None
        assert (claim.run_id, claim.task_id) == (run_id, task_id)
        with pytest.raises(NotFound):
            store.runs.claim("w", run_id=unique_id("run"))

    def test_release_records_the_outcome(self, store: Store, observer: Store) -> None:
        run_id, [ok, bad] = ready_run(store, 2)
        claim = store.runs.claim("w", run_id=run_id)
        assert claim is not None
        assert claim.task_id == ok
        attempt = store.runs.release(claim, "succeeded", outputs={"rows": 3})
        assert (attempt.status, attempt.outputs) == (RunStatus.SUCCEEDED, {"rows": 3})
        assert attempt.finished_at is not None
        assert observer.runs.get_attempt(attempt.id) == attempt
        task = observer.runs.get_task(ok)
        assert task.status is RunStatus.SUCCEEDED
        assert task.finished_at is not None
        assert task.lease_expires_at is None
        failing = store.runs.claim("w", run_id=run_id)
        assert failing is not None
        assert failing.task_id == bad
        failed = store.runs.release(failing, RunStatus.FAILED, error="exit 2")
        assert (failed.status, failed.error) == (RunStatus.FAILED, "exit 2")
        assert observer.runs.get_task(bad).status is RunStatus.FAILED
        assert observer.runs.get_active_attempts(run_id) == []
        with pytest.raises(Conflict):
            store.runs.release(failing, "succeeded")
        with pytest.raises(Conflict):
            store.runs.heartbeat(failing)

    def test_release_waiting_and_ready(self, store: Store) -> None:
        run_id, [task_id] = ready_run(store)
        claim = store.runs.claim("w", run_id=run_id)
        assert claim is not None
        with pytest.raises(InvalidInput):
            store.runs.release(claim, "running")
        handed_back = store.runs.release(claim, "ready")
        assert handed_back.status is RunStatus.CANCELLED
        assert store.runs.get_task(task_id).status is RunStatus.READY
        again = store.runs.claim("w2", run_id=run_id)
        assert again is not None
        assert again.attempt.number == 2
        store.runs.update_attempt(again.attempt_id, external_id="slurm-77")
        parked = store.runs.release(again, "waiting")
        assert (parked.status, parked.external_id) == (RunStatus.WAITING, "slurm-77")
        assert store.runs.get_task(task_id).status is RunStatus.WAITING
        assert store.runs.get_active_attempts(run_id) == [parked]
        assert store.runs.claim("w3", run_id=run_id) is None

    def test_heartbeat_extends_the_lease(self, store: Store, observer: Store) -> None:
        run_id, [task_id] = ready_run(store)
        claim = store.runs.claim("w", lease_seconds=30, run_id=run_id)
        assert claim is not None
        longer = store.runs.heartbeat(claim, lease_seconds=3600)
        assert longer.lease_expires_at > claim.lease_expires_at
        assert observer.runs.get_task(task_id).lease_expires_at == longer.lease_expires_at
        assert observer.runs.get_attempt(claim.attempt_id).lease_expires_at == \
            longer.lease_expires_at
        store.runs.release(longer, "succeeded")

    def test_expired_lease_is_reclaimed_with_a_new_attempt(self, store: Store,
                                                           observer: Store) -> None:
        run_id, [task_id] = ready_run(store)
        stale = store.runs.claim("crashed", lease_seconds=0.05, run_id=run_id)
        assert stale is not None
        fresh = claim_until(store, "rescuer", run_id)
        assert (fresh.task_id, fresh.attempt.number, fresh.worker_id) == (task_id, 2, "rescuer")
        old = observer.runs.get_attempt(stale.attempt_id)
        assert (old.status, old.error) == (RunStatus.FAILED, "lease expired")
        assert old.finished_at is not None
        with pytest.raises(Conflict):
            store.runs.heartbeat(stale)
        with pytest.raises(Conflict):
            store.runs.release(stale, "succeeded")
        store.runs.release(fresh, "succeeded")
        assert [a.status for a in observer.runs.list_attempts(task_id)] == [
            RunStatus.FAILED, RunStatus.SUCCEEDED]

    def test_a_task_moved_by_the_engine_is_no_longer_held(self, store: Store) -> None:
        run_id, [task_id] = ready_run(store)
        claim = store.runs.claim("w", run_id=run_id)
        assert claim is not None
        store.runs.update_task_status(task_id, "cancelled")
        with pytest.raises(Conflict):
            store.runs.release(claim, "succeeded")
        assert store.runs.get_task(task_id).status is RunStatus.CANCELLED

    def test_claim_rejects_bad_input(self, store: Store) -> None:
        run_id, _ = ready_run(store)
        for worker in ("", "a/b", None):
            with pytest.raises(InvalidInput):
                store.runs.claim(worker, run_id=run_id)  # type: ignore[arg-type]
        for lease in (0, -1, "60", True, 10**9):
            with pytest.raises(InvalidInput):
                store.runs.claim("w", lease_seconds=lease, run_id=run_id)  # type: ignore[arg-type]
        assert store.runs.get_active_attempts(run_id) == []

    def test_threads_claim_each_task_once(self, store: Store) -> None:
        run_id, task_ids = ready_run(store, 40)

        def work(worker: str) -> list[str]:
            done = []
            while (claim := store.runs.claim(worker, run_id=run_id)) is not None:
                store.runs.release(claim, "succeeded")
                done.append(claim.task_id)
            return done

        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(work, [f"w{n}" for n in range(4)]))
        claimed = [task for result in results for task in result]
        assert sorted(claimed) == sorted(task_ids)
        assert all(t.status is RunStatus.SUCCEEDED for t in store.runs.get_tasks(run_id))
        assert all(len(store.runs.list_attempts(t)) == 1 for t in task_ids)

    def test_processes_claim_each_task_once(self, store: Store, store_url: str) -> None:
        run_id, task_ids = ready_run(store, 30)
        if not store.capabilities.multi_process:
            assert store.runs.claim("w", run_id=run_id) is not None
            return
        results = run_in_processes(work_until_empty,
                                   [(store_url, f"p{n}", 2, run_id) for n in range(2)])
        claimed = [task for result in results for task in result]
        assert sorted(claimed) == sorted(task_ids)
        assert all(len(store.runs.list_attempts(t)) == 1 for t in task_ids)
