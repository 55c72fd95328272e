"""Four processes record 5,000 executions each into one workflow's aggregates; none is
lost (the aggregate rows are locked and rewritten in each recording transaction)."""

from __future__ import annotations

from pathlib import Path

import pytest

import runstore
from runstore.testing.fixtures import run_in_processes, unique_id
from runstore.testing.log_workers import record_executions

PROCESSES, EACH = 4, 5000


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'metrics.db'}"
    fixture = "postgres_url" if request.param == "postgresql" else "mariadb_url"
    return str(request.getfixturevalue(fixture))


def test_four_processes_record_twenty_thousand_executions(url: str) -> None:
    wf = unique_id("wf")
    with runstore.open(url):  # create the schema before the recorders race
        pass
    done = run_in_processes(record_executions, [(url, wf, f"p{n}", EACH)
                                                for n in range(PROCESSES)], timeout=600)
    assert done == [EACH] * PROCESSES
    with runstore.open(url) as store:
        summary = store.metrics.get_summary(wf)
        daily = store.metrics.get_trend(wf)
    assert summary.count == PROCESSES * EACH == 20_000
    assert (summary.successes, summary.failures) == (15_000, 5_000)
    assert summary.values["cost"].sum == 20_000.0
    assert summary.duration_max == EACH / 1000
    assert sum(bucket.summary.count for bucket in daily) == 20_000
