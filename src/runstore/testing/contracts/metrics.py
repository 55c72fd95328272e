"""The metrics repository contract: incremental aggregates, trends and patterns."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from runstore.errors import AlreadyExists, InvalidInput, NotFound, RunstoreError
from runstore.models.metrics import ExecutionMetric, Pattern
from runstore.store import Store
from runstore.testing.base import StoreFixtures
from runstore.testing.fixtures import run_in_processes, unique_id
from runstore.testing.log_workers import record_executions

__all__ = ["MetricsContract"]

DAY = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)  # a Monday


def execution(workflow_id: str, n: int, *, version: int = 1, success: bool = True,
              duration: float = 1.0, finished_at: datetime = DAY,
              **values: float) -> dict[str, Any]:
    return {"workflow_id": workflow_id, "workflow_version": version, "run_id": f"run-{n}",
            "success": success, "duration_s": duration, "finished_at": finished_at,
            "values": values}


def _exact(values: list[float], q: float) -> float:
    return sorted(values)[math.floor(q * (len(values) - 1))]


class MetricsContract(StoreFixtures):
    def test_summary_counts_and_durations(self, store: Store) -> None:
        wf = unique_id("wf")
        durations = [0.5 * (n + 1) ** 1.5 for n in range(200)]
        for n, duration in enumerate(durations):
            store.metrics.record_execution(execution(wf, n, success=n % 5 != 0,
                                                     duration=duration))
        summary = store.metrics.get_summary(wf)
        assert (summary.count, summary.successes, summary.failures) == (200, 160, 40)
        assert summary.success_rate == pytest.approx(0.8)
        assert summary.duration_min == durations[0]
        assert summary.duration_max == durations[-1]
        assert summary.duration_mean == pytest.approx(sum(durations) / 200)
        for q, estimate in ((0.5, summary.duration_p50), (0.95, summary.duration_p95)):
            assert abs(estimate - _exact(durations, q)) <= 0.01 * _exact(durations, q)
        assert summary.first_finished_at == summary.last_finished_at == DAY

    def test_custom_values_are_summed_per_name(self, store: Store) -> None:
        wf = unique_id("wf")
        store.metrics.record_execution(execution(wf, 1, cost=0.25, tokens=1000))
        store.metrics.record_execution(ExecutionMetric(**execution(wf, 2, cost=0.75)))
        store.metrics.record_execution(execution(wf, 3, tokens=-10))
        values = store.metrics.get_summary(wf).values
        assert set(values) == {"cost", "tokens"}
        cost, tokens = values["cost"], values["tokens"]
        assert (cost.count, cost.sum, cost.mean, cost.min, cost.max) == (2, 1.0, 0.5, 0.25, 0.75)
        assert (tokens.count, tokens.sum, tokens.min, tokens.max) == (2, 990, -10, 1000)

    def test_summary_per_version_and_over_all_versions(self, store: Store) -> None:
        wf = unique_id("wf")
        for n in range(3):
            store.metrics.record_execution(execution(wf, n, version=1, duration=1.0))
        store.metrics.record_execution(execution(wf, 9, version=2, success=False,
                                                 duration=10.0))
        one, two = store.metrics.get_summary(wf, 1), store.metrics.get_summary(wf, 2)
        both = store.metrics.get_summary(wf)
        assert (one.count, one.workflow_version, one.duration_max) == (3, 1, 1.0)
        assert (two.count, two.failures, two.success_rate) == (1, 1, 0.0)
        assert (both.count, both.successes, both.workflow_version) == (4, 3, None)
        assert both.duration_max == 10.0
        assert both.duration_p50 == pytest.approx(1.0, rel=0.01)

    def test_summary_of_nothing_is_not_found(self, store: Store) -> None:
        wf = unique_id("wf")
        with pytest.raises(NotFound):
            store.metrics.get_summary(wf)
        store.metrics.record_execution(execution(wf, 1))
        with pytest.raises(NotFound):
            store.metrics.get_summary(wf, 2)

    def test_trend_by_day_week_and_month(self, store: Store) -> None:
        wf = unique_id("wf")
        days = [0, 0, 1, 6, 7, 29]  # Mon, Mon, Tue, Sun, next Mon, 1 April
        for n, day in enumerate(days):
            store.metrics.record_execution(execution(wf, n, duration=float(n + 1),
                                                     finished_at=DAY + timedelta(days=day)))
        daily = store.metrics.get_trend(wf)
        assert [(b.start.date().isoformat(), b.summary.count) for b in daily] == [
            ("2025-03-03", 2), ("2025-03-04", 1), ("2025-03-09", 1), ("2025-03-10", 1),
            ("2025-04-01", 1)]
        assert daily[0].end - daily[0].start == timedelta(days=1)
        assert daily[0].summary.duration_mean == 1.5
        weekly = store.metrics.get_trend(wf, bucket="week")
        assert [(b.start.date().isoformat(), b.summary.count) for b in weekly] == [
            ("2025-03-03", 4), ("2025-03-10", 1), ("2025-03-31", 1)]
        monthly = store.metrics.get_trend(wf, 1, bucket="month")
        assert [(b.start.date().isoformat(), b.end.date().isoformat(), b.summary.count)
                for b in monthly] == [("2025-03-01", "2025-04-01", 5),
                                      ("2025-04-01", "2025-05-01", 1)]
        assert all(b.start.tzinfo is not None for b in monthly)
        assert store.metrics.get_trend(wf, 2) == []
        with pytest.raises(InvalidInput):
            store.metrics.get_trend(wf, bucket="fortnight")

    @pytest.mark.parametrize("changes", [
        {"duration_s": -1}, {"duration_s": float("nan")}, {"values": {"cost": float("inf")}},
        {"values": {"bad name": 1}}, {"workflow_id": "../x"}, {"workflow_version": 0},
        {"success": "maybe"}, {"extra": 1}, {"run_id": ""},
    ])
    def test_bad_metrics_are_invalid_input(self, store: Store, changes: dict[str, Any]) -> None:
        wf = unique_id("wf")
        store.metrics.record_execution(execution(wf, 1))
        with pytest.raises(InvalidInput):
            store.metrics.record_execution({**execution(wf, 2), **changes})
        assert store.metrics.get_summary(wf).count == 1

    def test_recording_joins_a_transaction_that_rolls_back(self, store: Store) -> None:
        wf = unique_id("wf")
        store.metrics.record_execution(execution(wf, 1))
        if not store.capabilities.transactions:
            with pytest.raises(RunstoreError):
                store.transaction("metrics")
            return
        with pytest.raises(KeyError), store.transaction("metrics"):
            store.metrics.record_execution(execution(wf, 2, duration=99.0))
            raise KeyError(wf)
        summary = store.metrics.get_summary(wf)
        assert (summary.count, summary.duration_max) == (1, 1.0)

    def test_threads_recording_lose_nothing(self, store: Store) -> None:
        wf = unique_id("wf")

        def recorder(tag: int) -> None:
            for n in range(25):
                store.metrics.record_execution(execution(wf, tag * 100 + n, cost=1.0))

        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(recorder, range(4)))
        summary = store.metrics.get_summary(wf)
        assert (summary.count, summary.values["cost"].sum) == (100, 100.0)
        assert sum(b.summary.count for b in store.metrics.get_trend(wf)) == 100

    def test_processes_recording_lose_nothing(self, store: Store, store_url: str) -> None:
        wf = unique_id("wf")
        if not store.capabilities.multi_process:
            with pytest.raises(NotFound):
                store.metrics.get_summary(wf)
            return
        assert run_in_processes(record_executions, [(store_url, wf, t, 40) for t in "ab"]) == [
            40, 40]
        summary = store.metrics.get_summary(wf)
        assert (summary.count, summary.failures, summary.values["cost"].sum) == (80, 20, 80.0)

    def test_patterns_newest_first_by_kind(self, store: Store) -> None:
        wf = unique_id("wf")
        slow = store.metrics.record_pattern({
            "workflow_id": wf, "kind": "slow_step", "description": "load is slow",
            "evidence": {"step": "load", "p95_s": 12.5, "runs": ["a", "b"]}, "confidence": 0.8,
            "detected_at": DAY})
        flaky = store.metrics.record_pattern(Pattern(
            workflow_id=wf, workflow_version=2, kind="flaky", confidence=1.0,
            detected_at=DAY + timedelta(hours=1)))
        store.metrics.record_pattern({"workflow_id": unique_id("wf"), "kind": "x",
                                      "confidence": 0})
        assert store.metrics.get_patterns(wf) == [flaky, slow]
        assert store.metrics.get_patterns(wf, kind="slow_step") == [slow]
        assert store.metrics.get_patterns(unique_id("none")) == []
        with pytest.raises(AlreadyExists):
            store.metrics.record_pattern(slow)

    @pytest.mark.parametrize("changes", [
        {"confidence": 1.5}, {"confidence": -0.1}, {"kind": ""}, {"workflow_id": "a/b"},
        {"evidence": {"x": float("nan")}},
    ])
    def test_bad_patterns_are_invalid_input(self, store: Store, changes: dict[str, Any]) -> None:
        wf = unique_id("wf")
        with pytest.raises(InvalidInput):
            store.metrics.record_pattern({"workflow_id": wf, "kind": "k", "confidence": 0.5,
                                          **changes})
        assert store.metrics.get_patterns(wf) == []
