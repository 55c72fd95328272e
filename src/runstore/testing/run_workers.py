"""Workers for spawned processes in the runs contracts and concurrency tests (module
level, so ``spawn`` can import them; they take a URL and return plain data)."""

from __future__ import annotations

import threading

import runstore
from runstore.errors import Conflict

__all__ = ["work_until_empty"]


def work_until_empty(url: str, worker_id: str, threads: int = 1,
                     run_id: str | None = None, lease_seconds: float = 60) -> list[str]:
    """Claim and release tasks (as succeeded, outputs naming the worker) until none is
    left, from ``threads`` threads sharing one store; return the task ids completed."""
    done: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def loop(name: str) -> None:
        try:
            work(name)
        except BaseException as exc:
            errors.append(exc)

    def work(name: str) -> None:
        while True:
            claim = store.runs.claim(name, lease_seconds=lease_seconds, run_id=run_id)
            if claim is None:
                return
            try:
                store.runs.release(claim, "succeeded", outputs={"worker": name})
            except Conflict:
                continue  # the lease expired and another worker took the task
            with lock:
                done.append(claim.task_id)

    with runstore.open(url) as store:
        workers = [threading.Thread(target=loop, args=(f"{worker_id}-t{n}",))
                   for n in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    if errors:
        raise errors[0]
    return done
