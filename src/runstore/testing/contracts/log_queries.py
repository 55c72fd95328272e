"""The logs query contract: filters, newest-first order, and pagination that neither
skips nor repeats."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runstore.errors import InvalidInput
from runstore.models.common import Page
from runstore.models.logs import LogFilter, LogRecord
from runstore.store import Store
from runstore.testing.base import StoreFixtures
from runstore.testing.contracts.logs import T0, log_record
from runstore.testing.fixtures import unique_id

__all__ = ["LogQueriesContract"]


def _ids(page: Page[LogRecord]) -> list[str]:
    return [record.run_id for record in page.items]


def _all_pages(store: Store, **flt: Any) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = store.logs.query({**flt, "cursor": cursor})
        pages.append(_ids(page))
        cursor = page.next_cursor
        if cursor is None:
            return pages
        assert len(pages) < 1000


class LogQueriesContract(StoreFixtures):
    @pytest.fixture
    def runs(self, store: Store) -> dict[str, Any]:
        """Six runs of two workflows over six minutes, with errors and levels."""
        wf, other = unique_id("wf"), unique_id("wf")
        specs = [  # (minutes, workflow, version, status, error, highest level)
            (0, wf, 1, "succeeded", None, "info"),
            (1, wf, 1, "failed", "KeyError: 'rows'", "error"),
            (2, wf, 2, "failed", "Timeout after 100% of budget", "critical"),
            (3, other, 1, "failed", "keyerror in step_2", "warning"),
            (4, wf, 2, "succeeded", None, "debug"),
            (5, wf, 2, "cancelled", "user_cancelled", "info"),
        ]
        ids = []
        for minutes, workflow, version, status, error, level in specs:
            run = unique_id("run")
            ids.append(run)
            store.logs.append(run, [{"message": "start"}, {"message": "end", "level": level}])
            store.logs.store_log(log_record(run, workflow, minutes=minutes, status=status,
                                            version=version, error=error))
        return {"wf": wf, "other": other, "ids": ids}

    def test_query_by_workflow_is_newest_first(self, store: Store, runs: dict[str, Any]) -> None:
        ids = runs["ids"]
        page = store.logs.query(LogFilter(workflow_id=runs["wf"]))
        assert _ids(page) == [ids[5], ids[4], ids[2], ids[1], ids[0]]
        assert page.next_cursor is None

    def test_query_by_version_and_status(self, store: Store, runs: dict[str, Any]) -> None:
        ids, wf = runs["ids"], runs["wf"]
        assert _ids(store.logs.query({"workflow_id": wf, "workflow_version": 2})) == [
            ids[5], ids[4], ids[2]]
        assert _ids(store.logs.query({"workflow_id": wf, "status": "failed"})) == [ids[2], ids[1]]
        assert _ids(store.logs.query({"workflow_id": wf, "status": ["failed", "cancelled"]})) \
            == [ids[5], ids[2], ids[1]]

    def test_query_by_time_range_includes_start_excludes_end(
        self, store: Store, runs: dict[str, Any]
    ) -> None:
        ids = runs["ids"]
        page = store.logs.query({"workflow_id": runs["wf"], "started_after": T0 +
                                 timedelta(minutes=1), "started_before": T0 +
                                 timedelta(minutes=4)})
        assert _ids(page) == [ids[2], ids[1]]

    def test_query_by_highest_event_level(self, store: Store, runs: dict[str, Any]) -> None:
        ids = runs["ids"]
        assert _ids(store.logs.query({"workflow_id": runs["wf"], "level": "error"})) == [
            ids[2], ids[1]]
        assert _ids(store.logs.query({"workflow_id": runs["other"], "level": "warning"})) == [
            ids[3]]
        assert _ids(store.logs.query({"workflow_id": runs["other"], "level": "error"})) == []

    def test_query_by_error_text_is_case_insensitive_and_literal(
        self, store: Store, runs: dict[str, Any]
    ) -> None:
        ids = runs["ids"]
        assert set(_ids(store.logs.query({"error_contains": "KEYERROR"}))) >= {ids[1], ids[3]}
        assert _ids(store.logs.query({"workflow_id": runs["wf"], "error_contains": "keyerror"})) \
            == [ids[1]]
        assert _ids(store.logs.query({"error_contains": "100%"})) == [ids[2]]
        assert _ids(store.logs.query({"error_contains": "step_2"})) == [ids[3]]
        assert _ids(store.logs.query({"error_contains": "r_c"})) == [ids[5]]
        assert _ids(store.logs.query({"workflow_id": runs["wf"], "error_contains": "%"})) == [
            ids[2]]

    def test_filters_combine(self, store: Store, runs: dict[str, Any]) -> None:
        ids = runs["ids"]
        page = store.logs.query({"workflow_id": runs["wf"], "status": ["failed"],
                                 "started_after": T0, "started_before": T0 + timedelta(hours=1),
                                 "level": "critical", "error_contains": "timeout", "limit": 50})
        assert _ids(page) == [ids[2]]

    def test_recent_gives_the_newest_of_a_workflow(self, store: Store,
                                                   runs: dict[str, Any]) -> None:
        ids = runs["ids"]
        assert [r.run_id for r in store.logs.recent(runs["wf"], limit=2)] == [ids[5], ids[4]]
        assert [r.run_id for r in store.logs.recent(runs["wf"], version=1)] == [ids[1], ids[0]]
        assert store.logs.recent(unique_id("none")) == []
        with pytest.raises(InvalidInput):
            store.logs.recent(runs["wf"], limit=0)

    def test_pages_follow_each_other(self, store: Store, runs: dict[str, Any]) -> None:
        ids = runs["ids"]
        pages = _all_pages(store, workflow_id=runs["wf"], limit=2)
        assert pages == [[ids[5], ids[4]], [ids[2], ids[1]], [ids[0]]]

    def test_runs_started_at_the_same_instant_page_by_run_id(self, store: Store) -> None:
        wf = unique_id("wf")
        ids = sorted(f"run-{n:02d}-{unique_id('x')}" for n in range(7))
        for run in ids:
            store.logs.store_log(log_record(run, wf))
        pages = _all_pages(store, workflow_id=wf, limit=3)
        assert [len(p) for p in pages] == [3, 3, 1]
        assert [run for page in pages for run in page] == ids[::-1]

    @given(offsets=st.lists(st.integers(min_value=0, max_value=5), min_size=0, max_size=12),
           limit=st.integers(min_value=1, max_value=5))
    @settings(max_examples=8, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.differing_executors])
    def test_pagination_neither_skips_nor_repeats(self, store: Store, offsets: list[int],
                                                  limit: int) -> None:
        wf = unique_id("wf")
        expected = []
        for n, offset in enumerate(offsets):
            run = f"r{n}-{unique_id('p')}"
            store.logs.store_log(log_record(run, wf, minutes=offset,
                                            status="failed" if n % 2 else "succeeded"))
            expected.append((log_record(run, wf, minutes=offset).started_at, run))
        expected.sort(reverse=True)
        pages = _all_pages(store, workflow_id=wf, limit=limit)
        flat = [run for page in pages for run in page]
        assert flat == [run for _, run in expected]
        assert all(len(page) == limit for page in pages[:-1])

    @pytest.mark.parametrize("flt", [
        {"cursor": "not-a-cursor"}, {"limit": 0}, {"limit": 1001}, {"status": []},
        {"status": "Bad Status"}, {"workflow_id": "../x"}, {"level": "loud"},
        {"sort": "name"}, {"error_contains": ""},
    ])
    def test_bad_filters_are_invalid_input(self, store: Store, flt: dict[str, Any]) -> None:
        with pytest.raises(InvalidInput):
            store.logs.query(flt)

    def test_filter_values_are_data_not_sql(self, store: Store, runs: dict[str, Any]) -> None:
        assert _ids(store.logs.query({"error_contains": "' OR '1'='1"})) == []
        assert _ids(store.logs.query({"status": "x-or-1"})) == []
        assert len(_ids(store.logs.query({"workflow_id": runs["wf"]}))) == 5
