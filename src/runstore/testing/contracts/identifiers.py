"""The identifiers contract: ids are compared and sorted by code point on every backend.

Ids that differ only in case are different records (a database whose default
collation folds case must not merge them), and ties in "newest first" orders break by
id in code point order (``"B" < "a" < "b"``), the same on every backend.
"""

from __future__ import annotations

from datetime import UTC, datetime

from runstore.models.conversations import Conversation
from runstore.store import Store
from runstore.testing.base import StoreFixtures
from runstore.testing.fixtures import unique_id

__all__ = ["IdentifiersContract"]

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


class IdentifiersContract(StoreFixtures):
    def test_workflow_ids_differing_in_case_are_distinct(self, store: Store,
                                                         observer: Store) -> None:
        base = unique_id("wf")
        upper, lower = f"{base}-Case", f"{base}-case"
        assert store.workflows.store(upper, {"who": "upper"}).version == 1
        assert store.workflows.store(lower, {"who": "lower"}).version == 1
        assert observer.workflows.get(upper, 1).definition == {"who": "upper"}
        assert observer.workflows.get(lower, 1).definition == {"who": "lower"}

    def test_log_runs_differing_in_case_are_distinct(self, store: Store,
                                                     observer: Store) -> None:
        base = unique_id("run")
        upper, lower = f"{base}-Case", f"{base}-case"
        assert store.logs.append(upper, {"level": "info", "message": "upper"}) == 1
        assert store.logs.append(lower, {"level": "info", "message": "lower"}) == 1
        assert [e.message for e in observer.logs.iter_events(upper)] == ["upper"]
        assert [e.message for e in observer.logs.iter_events(lower)] == ["lower"]

    def test_metrics_of_workflows_differing_in_case_are_distinct(self, store: Store) -> None:
        base = unique_id("wf")
        for workflow_id in (f"{base}-Case", f"{base}-case", f"{base}-case"):
            store.metrics.record_execution({
                "workflow_id": workflow_id, "workflow_version": 1, "run_id": unique_id("run"),
                "success": True, "duration_s": 1.0, "finished_at": T0})
        assert store.metrics.get_summary(f"{base}-Case").count == 1
        assert store.metrics.get_summary(f"{base}-case").count == 2

    def test_conversation_and_message_ids_differing_in_case_are_distinct(
            self, store: Store, observer: Store) -> None:
        base = unique_id("conv")
        upper, lower = f"{base}-Case", f"{base}-case"
        for cid in (upper, lower):
            assert store.conversations.save_conversation(
                {"id": cid, "source": cid[-4:], "created_at": T0}) is True
        assert store.conversations.save_messages([
            {"conversation_id": upper, "id": f"M{n}", "position": n, "role": "user",
             "content": f"upper {n}"} for n in range(2)
        ] + [{"conversation_id": upper, "id": "m0", "position": 2, "role": "user",
              "content": "lower 0"}]) == 3
        assert observer.conversations.get_conversation(upper).source == "Case"
        assert observer.conversations.get_conversation(lower).source == "case"
        assert [(m.id, m.content) for m in observer.conversations.get_messages(upper)] == [
            ("M0", "upper 0"), ("M1", "upper 1"), ("m0", "lower 0")]
        assert observer.conversations.get_messages(lower) == []

    def test_ties_break_by_id_in_code_point_order(self, store: Store) -> None:
        source = unique_id("src")
        base = unique_id("c")
        ids = [f"{base}-{suffix}" for suffix in ("b", "B", "a", "_", "0")]
        store.conversations.save_conversations(
            [Conversation(id=cid, source=source, created_at=T0) for cid in ids])
        listed = [c.id for c in store.conversations.list_conversations(source=source).items]
        assert listed == sorted(ids, reverse=True)  # newest first: ids descending
