"""The results benchmark still runs (tiny sizes; its timings are not asserted)."""

from __future__ import annotations

import pytest

from benchmarks import results


def test_results_benchmark_runs_with_tiny_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    results.main(["--count", "50", "--size", "64", "--rounds", "1"])
    out = capsys.readouterr().out
    assert "50 puts and gets of 64-byte values" in out
    for name in ("sqlite3", "diskcache", "runstore / sqlite3", "runstore / diskcache"):
        assert name in out
