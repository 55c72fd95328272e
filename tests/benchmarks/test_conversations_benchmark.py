"""The conversations benchmark still runs (tiny sizes; its timings are not asserted)."""

from __future__ import annotations

import pytest

from benchmarks import conversations


def test_conversations_benchmark_runs_with_tiny_sizes(postgres_url: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    conversations.main(["--conversations", "12", "--messages", "3", "--batch", "5",
                        "--rounds", "2"])
    out = capsys.readouterr().out
    assert "importing 12 conversations x 3 messages = 36 messages" in out
    assert "SQLite" in out
    assert "PostgreSQL" in out
    assert out.count("0 changed") == 2
