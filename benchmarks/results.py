"""The results cache at driver speed: runstore on SQLite against plain ``sqlite3`` and
against ``diskcache``, measured in the same run.

    python -m benchmarks.results                 # 50,000 puts and gets of 1 KB values
    python -m benchmarks.results --count 2000    # a quick look

Each contender stores ``--count`` values of ``--size`` random bytes, one write
transaction per put (what a cache does), then reads every key back once:

- plain ``sqlite3``: ``key TEXT PRIMARY KEY, value BLOB``, WAL, ``synchronous=NORMAL``,
  ``INSERT OR REPLACE`` and ``SELECT value ... WHERE key = ?``;
- ``diskcache.Cache`` (``set`` / ``get``), its defaults (WAL, ``synchronous=NORMAL``);
- runstore: ``results.put_success(key, value, serializer="bytes")`` and
  ``results.get_record(key).value``.

Rates are operations per second; the best of ``--rounds`` rounds is kept. Targets:
runstore's gets reach at least 60% of plain sqlite3's rate and beat diskcache's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import runstore

Contender = Callable[[Path, list[str], list[bytes]], tuple[float, float]]


def _timed(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def raw_sqlite(folder: Path, keys: list[str], values: list[bytes]) -> tuple[float, float]:
    conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE cache (key TEXT PRIMARY KEY, value BLOB)")

    def puts() -> None:
        for key, value in zip(keys, values, strict=True):
            conn.execute("INSERT OR REPLACE INTO cache (key, value) VALUES (?, ?)", (key, value))

    def gets() -> None:
        for key in keys:
            conn.execute("SELECT value FROM cache WHERE key = ?", (key,)).fetchone()

    put_s, get_s = _timed(puts), _timed(gets)
    conn.close()
    return put_s, get_s


def disk_cache(folder: Path, keys: list[str], values: list[bytes]) -> tuple[float, float]:
    import diskcache

    cache = diskcache.Cache(str(folder / "diskcache"))

    def puts() -> None:
        for key, value in zip(keys, values, strict=True):
            cache.set(key, value)

    def gets() -> None:
        for key in keys:
            cache.get(key)

    put_s, get_s = _timed(puts), _timed(gets)
    cache.close()
    return put_s, get_s


def runstore_sqlite(folder: Path, keys: list[str], values: list[bytes]) -> tuple[float, float]:
    with runstore.open(f"sqlite:///{folder / 'runstore.db'}") as store:
        results = store.results

        def puts() -> None:
            for key, value in zip(keys, values, strict=True):
                results.put_success(key, value, serializer="bytes")

        def gets() -> None:
            for key in keys:
                record = results.get_record(key)
                assert record is not None
                record.value  # noqa: B018  (decoding is part of a get)

        return _timed(puts), _timed(gets)


CONTENDERS: dict[str, Contender] = {
    "sqlite3": raw_sqlite, "diskcache": disk_cache, "runstore": runstore_sqlite,
}


def run(count: int, size: int, rounds: int) -> dict[str, tuple[float, float]]:
    """Best (puts/s, gets/s) of each contender over ``rounds`` alternating rounds."""
    keys = [f"task/{n:08d}/result" for n in range(count)]
    values = [os.urandom(size) for _ in range(count)]
    best: dict[str, tuple[float, float]] = dict.fromkeys(CONTENDERS, (0.0, 0.0))
    for _ in range(rounds):
        for name, contender in CONTENDERS.items():
            folder = Path(tempfile.mkdtemp(prefix=f"rs-bench-{name}-"))
            try:
                put_s, get_s = contender(folder, keys, values)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            old = best[name]
            best[name] = (max(old[0], count / put_s), max(old[1], count / get_s))
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50_000, help="values to put and get")
    parser.add_argument("--size", type=int, default=1024, help="bytes per value")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best is kept")
    args = parser.parse_args(argv)
    rates = run(args.count, args.size, args.rounds)
    print(f"results cache: {args.count} puts and gets of {args.size}-byte values, "
          f"best of {args.rounds} rounds (operations per second)")
    for name, (puts, gets) in rates.items():
        print(f"  {name:<10} puts {puts:>10,.0f}/s   gets {gets:>10,.0f}/s")
    ours, raw, dc = rates["runstore"], rates["sqlite3"], rates["diskcache"]
    print(f"  runstore / sqlite3:   puts {ours[0] / raw[0]:.0%}   gets {ours[1] / raw[1]:.0%}"
          "   (target: gets >= 60%)")
    print(f"  runstore / diskcache: puts {ours[0] / dc[0]:.2f}x  gets {ours[1] / dc[1]:.2f}x"
          "   (target: gets > 1.00x)")


if __name__ == "__main__":
    main()
