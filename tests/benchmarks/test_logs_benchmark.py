"""The logs benchmark still runs (tiny sizes; its timings are not asserted)."""

from __future__ import annotations

import pytest

from benchmarks import logs


def test_logs_benchmark_runs_with_tiny_sizes(postgres_url: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    logs.main(["--events", "300", "--batch", "100", "--query-events", "400", "--runs", "20",
               "--stream-events", "500", "--rounds", "1", "--repeat", "2"])
    out = capsys.readouterr().out
    assert "SQLite: append 300 events" in out
    assert "PostgreSQL: append 300 events (COPY)" in out
    assert "50 newest failed runs" in out
    assert "iter_events over one run of 500 events" in out
