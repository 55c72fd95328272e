"""The logs repository contract: append-only events, one record per run, queries."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from runstore.errors import AlreadyExists, InvalidInput, NotFound, RunstoreError
from runstore.models.logs import LogEvent, LogLevel, LogRecord
from runstore.store import Store
from runstore.testing.base import StoreFixtures
from runstore.testing.fixtures import run_in_processes, unique_id
from runstore.testing.log_workers import append_events

__all__ = ["LogsContract", "log_record"]

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def log_record(run_id: str, workflow_id: str, *, minutes: float = 0, status: str = "succeeded",
               version: int | None = 1, error: str | None = None) -> LogRecord:
    """A record started ``minutes`` after a fixed instant, finished 90 seconds later."""
    started = T0 + timedelta(minutes=minutes)
    return LogRecord(run_id=run_id, workflow_id=workflow_id, workflow_version=version,
                     status=status, started_at=started,
                     finished_at=started + timedelta(seconds=90), error=error,
                     attributes={"host": "w1", "tags": ["a", "b"]})


class LogsContract(StoreFixtures):
    def test_append_numbers_events_from_one_in_order(self, store: Store) -> None:
        run = unique_id("run")
        assert store.logs.append(run, {"message": "first"}) == 1
        assert store.logs.append(run, [{"message": f"m{n}"} for n in range(3)]) == 4
        assert store.logs.append(run, iter([LogEvent(message="last")])) == 5
        events = store.logs.get_log(run).events
        assert [(e.seq, e.message) for e in events] == [
            (1, "first"), (2, "m0"), (3, "m1"), (4, "m2"), (5, "last")]

    def test_event_fields_round_trip(self, store: Store) -> None:
        run = unique_id("run")
        ts = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
        data = {"rows": 2**53 + 1, "ratio": 0.1, "ok": True, "none": None, "text": "日本 ✓",
                "nested": {"list": [1, [2, {}]], "empty": ""}}
        store.logs.append(run, [
            {"ts": ts, "level": "warning", "message": "a\nb", "data": data, "task_id": "t1",
             "attempt_id": "a-1", "kind": "task.retry"},
            LogEvent(ts=ts + timedelta(seconds=1), level=LogLevel.DEBUG, message="plain"),
        ])
        first, second = store.logs.get_log(run).events
        assert first == LogEvent(ts=ts, level=LogLevel.WARNING, message="a\nb", data=data,
                                 task_id="t1", attempt_id="a-1", kind="task.retry", seq=1)
        assert first.ts.utcoffset() == timedelta(0)
        assert (second.level, second.data, second.task_id, second.kind) == (
            LogLevel.DEBUG, {}, None, None)

    def test_timestamps_in_other_zones_are_stored_as_utc(self, store: Store) -> None:
        run = unique_id("run")
        local = datetime(2025, 1, 1, 12, 0, tzinfo=UTC).astimezone(
            datetime.now().astimezone().tzinfo)
        store.logs.append(run, [{"ts": datetime(2025, 1, 1, 14, 0), "message": "naive"},
                                {"ts": local, "message": "aware"}])
        stamps = [e.ts for e in store.logs.get_log(run).events]
        assert stamps == [datetime(2025, 1, 1, 14, 0, tzinfo=UTC),
                          datetime(2025, 1, 1, 12, 0, tzinfo=UTC)]

    def test_empty_append_stores_nothing_and_returns_the_last_seq(self, store: Store) -> None:
        run = unique_id("run")
        assert store.logs.append(run, []) == 0
        with pytest.raises(NotFound):
            store.logs.get_log(run)
        store.logs.append(run, [{"message": "x"}] * 2)
        assert store.logs.append(run, []) == 2

    @pytest.mark.parametrize("bad", [
        {"message": 5}, {"level": "loud"}, {"data": {"x": float("nan")}}, {"data": [1]},
        {"data": {1: "int key"}}, {"task_id": "../x"}, {"unknown": 1}, {"ts": "yesterday"},
        {"data": {"obj": object()}}, "text", 42,
    ])
    def test_a_bad_event_stores_nothing_of_its_batch(self, store: Store, bad: object) -> None:
        run = unique_id("run")
        store.logs.append(run, {"message": "kept"})
        with pytest.raises(InvalidInput):
            store.logs.append(run, [{"message": "ok"}, bad, {"message": "ok"}])  # type: ignore[list-item]
        assert [e.message for e in store.logs.get_log(run).events] == ["kept"]
        assert store.logs.append(run, {"message": "next"}) == 2

    def test_store_log_once_per_run(self, store: Store) -> None:
        run, wf = unique_id("run"), unique_id("wf")
        record = log_record(run, wf, status="failed", error="boom")
        assert record.duration_s == 90.0
        assert store.logs.store_log(record.model_dump()) == record
        with pytest.raises(AlreadyExists):
            store.logs.store_log(log_record(run, wf))
        log = store.logs.get_log(run)
        assert log.record == record
        assert log.events == []

    def test_get_log_without_a_record_has_events_only(self, store: Store) -> None:
        run = unique_id("run")
        store.logs.append(run, {"message": "running"})
        log = store.logs.get_log(run)
        assert log.record is None
        assert [e.message for e in log.events] == ["running"]
        with pytest.raises(NotFound):
            store.logs.get_log(unique_id("missing"))

    def test_get_record_reads_the_record_without_events(self, store: Store,
                                                        observer: Store) -> None:
        run, wf = unique_id("run"), unique_id("wf")
        assert observer.logs.get_record(run) is None  # unknown run: no record, no error
        store.logs.append(run, [{"message": "started"}, {"message": "done"}])
        assert observer.logs.get_record(run) is None  # events, no record yet
        record = store.logs.store_log(log_record(run, wf, status="failed", error="boom"))
        assert observer.logs.get_record(run) == record
        for bad in ("", "../x", 7):
            with pytest.raises(InvalidInput):
                store.logs.get_record(bad)  # type: ignore[arg-type]
        store.logs.delete(run)
        assert observer.logs.get_record(run) is None

    def test_iter_events_streams_in_order_after_a_seq(self, store: Store) -> None:
        run = unique_id("run")
        for start in range(0, 2500, 500):
            store.logs.append(run, [{"message": str(n)} for n in range(start, start + 500)])
        assert [e.seq for e in store.logs.iter_events(run)] == list(range(1, 2501))
        tail = list(store.logs.iter_events(run, after_seq=1998))
        assert [e.seq for e in tail] == [1999, 2000, *range(2001, 2501)]
        assert tail[0].message == "1998"
        assert list(store.logs.iter_events(run, after_seq=2500)) == []
        assert list(store.logs.iter_events(unique_id("none"))) == []

    @pytest.mark.parametrize("after", [-1, "3", 1.5, True])
    def test_bad_after_seq_is_invalid_input(self, store: Store, after: object) -> None:
        with pytest.raises(InvalidInput):
            list(store.logs.iter_events(unique_id("run"), after_seq=after))  # type: ignore[arg-type]

    def test_append_joins_a_transaction_that_rolls_back(self, store: Store) -> None:
        run = unique_id("run")
        store.logs.append(run, {"message": "kept"})
        if not store.capabilities.transactions:
            with pytest.raises(RunstoreError):
                store.transaction("logs")
            return
        with pytest.raises(KeyError), store.transaction("logs"):
            store.logs.append(run, [{"message": "lost"}] * 3)
            store.logs.store_log(log_record(run, unique_id("wf")))
            raise KeyError(run)
        log = store.logs.get_log(run)
        assert (log.record, [e.seq for e in log.events]) == (None, [1])
        assert store.logs.append(run, {"message": "next"}) == 2

    def test_threads_appending_to_one_run_get_distinct_seqs(self, store: Store) -> None:
        run = unique_id("run")

        def writer(tag: str) -> list[int]:
            return [store.logs.append(run, [{"message": tag}] * 5) for _ in range(10)]

        with ThreadPoolExecutor(max_workers=4) as pool:
            lasts = [s for result in pool.map(writer, "abcd") for s in result]
        assert sorted(lasts) == list(range(5, 201, 5))
        events = store.logs.get_log(run).events
        assert [e.seq for e in events] == list(range(1, 201))
        for start in range(0, 200, 5):  # each batch is contiguous
            assert len({e.message for e in events[start:start + 5]}) == 1

    def test_processes_appending_to_one_run_get_distinct_seqs(
        self, store: Store, store_url: str
    ) -> None:
        run = unique_id("run")
        if not store.capabilities.multi_process:
            assert list(store.logs.iter_events(run)) == []
            return
        results = run_in_processes(append_events, [(store_url, run, tag, 10, 20) for tag in "ab"])
        assert sorted(s for r in results for s in r) == list(range(20, 401, 20))
        assert [e.seq for e in store.logs.iter_events(run)] == list(range(1, 401))

    def test_delete_removes_record_and_events(self, store: Store) -> None:
        run, other, wf = unique_id("run"), unique_id("run"), unique_id("wf")
        store.logs.append(run, [{"message": "x"}] * 3)
        store.logs.store_log(log_record(run, wf))
        store.logs.append(other, {"message": "stays"})
        store.logs.delete(run)
        with pytest.raises(NotFound):
            store.logs.get_log(run)
        assert list(store.logs.iter_events(run)) == []
        assert store.logs.recent(wf) == []
        with pytest.raises(NotFound):
            store.logs.delete(run)
        assert [e.message for e in store.logs.get_log(other).events] == ["stays"]

    def test_logs_are_append_only(self, store: Store) -> None:
        assert not any(hasattr(store.logs, name) for name in ("update", "update_log", "put"))

    @pytest.mark.parametrize("run_id", ["", "../x", "a/b", ".hidden", "x" * 129, "sp ace"])
    def test_bad_run_ids_are_invalid_input(self, store: Store, run_id: str) -> None:
        with pytest.raises(InvalidInput):
            store.logs.append(run_id, {"message": "x"})
        with pytest.raises(InvalidInput):
            store.logs.get_log(run_id)
        with pytest.raises(InvalidInput):
            list(store.logs.iter_events(run_id))
        with pytest.raises(InvalidInput):
            store.logs.delete(run_id)
        with pytest.raises(InvalidInput):
            store.logs.store_log({**log_record("ok", "wf").model_dump(), "run_id": run_id})

    @pytest.mark.parametrize("changes", [
        {"status": "Not A Status"}, {"started_at": None}, {"workflow_version": 0},
        {"attributes": {"x": float("inf")}}, {"finished_at": T0 - timedelta(days=1)},
        {"extra": 1},
    ])
    def test_bad_records_are_invalid_input(self, store: Store, changes: dict[str, object]) -> None:
        run = unique_id("run")
        with pytest.raises(InvalidInput):
            store.logs.store_log({**log_record(run, "wf").model_dump(), **changes})
        with pytest.raises(NotFound):
            store.logs.get_log(run)
