"""The copy benchmark still runs (tiny sizes; its timings are not asserted)."""

from __future__ import annotations

import pytest

from benchmarks import copy


def test_copy_benchmark_runs_with_tiny_sizes(postgres_url: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    copy.main(["--events", "600", "--runs", "6", "--batch-size", "100", "--verify"])
    out = capsys.readouterr().out
    assert "filled SQLite with 600 events over 6 runs" in out
    assert "SQLite -> PostgreSQL: copied 600 events (606 records)" in out
    assert "copying process: peak RSS" in out
    assert "verify: identical=True" in out
