"""SQLite's per-thread connections go away with their threads, not only with the store."""

from __future__ import annotations

import contextlib
import gc
import os
import threading
from pathlib import Path

import pytest

import runstore


def open_handles(path: Path) -> int:
    """How many file descriptors of this process are open on ``path``."""
    target = str(path.resolve())
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # closed meanwhile (the listing's own one)
            count += os.readlink(f"/proc/self/fd/{fd}") == target
    return count


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc/self/fd")
def test_short_lived_threads_do_not_pile_up_open_databases(tmp_path: Path) -> None:
    database = tmp_path / "threads.db"
    with runstore.open(f"sqlite:///{database}") as store:
        store.results.put_success("shared", 1)
        read: list[object] = []

        def work(n: int) -> None:
            store.results.put_success(f"key-{n}", n)  # this thread's writer connection
            record = store.results.get_record("shared")  # and its reader connection
            read.append(None if record is None else record.value)

        after_wave = []
        for wave in range(4):
            threads = [threading.Thread(target=work, args=(wave * 20 + n,)) for n in range(20)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            gc.collect()
            after_wave.append(open_handles(database))
        # Each wave's 20 threads open two connections each. SQLite may keep a closed
        # connection's descriptor while others hold locks on the file, for reuse, so
        # the count may reach one wave's worth (plus the store's own connections); it
        # must not grow with every wave (4 waves: 160 and more).
        assert max(after_wave) <= 2 * 20 + 10, after_wave
        assert read == [1] * 80
        assert store.results.get_record("key-79") is not None
    assert open_handles(database) == 0
