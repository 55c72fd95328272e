"""A writer killed with SIGKILL loses nothing it committed and leaves nothing half-written."""

from __future__ import annotations

import multiprocessing
import os
import signal
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

import runstore


def _write_forever(url: str, conn: Connection) -> None:
    with runstore.open(url) as store:
        transactional = store.capabilities.transactions
        n = 0
        while True:
            n += 1
            wid = f"crash-{n}"
            if transactional:
                with store.transaction():
                    for step in range(3):
                        store.workflows.store(wid, {"n": n, "step": step, "pad": "x" * 500})
            else:
                for step in range(3):
                    store.workflows.store(wid, {"n": n, "step": step, "pad": "x" * 500})
            conn.send(n)


@pytest.mark.parametrize("kind", ["sqlite", "files", "sqlite-full"])
def test_sigkill_mid_write_keeps_every_committed_workflow(kind: str, tmp_path: Path) -> None:
    url = {
        "sqlite": f"sqlite:///{tmp_path / 'c.db'}",
        "sqlite-full": f"sqlite:///{tmp_path / 'c.db'}?synchronous=full",
        "files": f"file://{tmp_path / 'files'}",
    }[kind]
    runstore.open(url).close()
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_write_forever, args=(url, child))
    process.start()
    committed = 0
    while committed < 40:
        assert parent.poll(60), "writer made no progress"
        committed = parent.recv()
    assert process.pid is not None
    os.kill(process.pid, signal.SIGKILL)
    process.join()
    while parent.poll():
        committed = parent.recv()

    with runstore.open(url) as store:
        for n in range(1, committed + 1):
            versions = store.workflows.list(f"crash-{n}")
            assert [w.definition["step"] for w in versions] == [0, 1, 2]
        # The write in flight is all there or (with transactions) not there at all.
        in_flight = store.workflows.list(f"crash-{committed + 1}")
        if store.capabilities.transactions:
            assert len(in_flight) in (0, 3)
        assert all(w.definition["n"] == committed + 1 for w in in_flight)
