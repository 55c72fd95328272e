"""``python -m benchmarks --quick`` runs every benchmark (tiny sizes; timings are not
asserted, only that each one reports its comparison)."""

from __future__ import annotations

import pytest
from benchmarks.__main__ import main


def test_every_benchmark_runs_in_quick_mode(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--quick", "--postgres", "none"])
    out = capsys.readouterr().out
    for title in ("== results cache", "== run state", "== logs", "== conversations", "== copy"):
        assert title in out
    assert "runstore / sqlite3" in out
    assert "% of raw" in out
    assert "events/s" in out
