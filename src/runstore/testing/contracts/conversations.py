"""The conversations contract: round trips, order, filters, pagination, dedup counts,
atomicity, cascade delete, and attachment bytes shared through the artifact store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from runstore.errors import InvalidInput, NotFound, UnsupportedOperation
from runstore.models.conversations import Attachment, ContentPart, Conversation, Message
from runstore.store import Store
from runstore.testing.base import StoreFixtures
from runstore.testing.fixtures import unique_id

__all__ = ["ConversationsContract"]

T0 = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


class Boom(Exception):
    """Raised inside a transaction to make it roll back."""


def conversation(cid: str, **fields: Any) -> Conversation:
    values: dict[str, Any] = {"id": cid, "source": "contract", "created_at": T0, **fields}
    return Conversation.model_validate(values)


def messages(cid: str, count: int, *, start: int = 0) -> list[Message]:
    found = []
    for n in range(start, start + count):
        content: Any = f"message {n}" if n % 2 else [
            {"type": "text", "text": f"part {n}"},
            {"type": "tool_call", "data": {"name": "search", "args": {"q": n}}},
        ]
        found.append(Message.model_validate({
            "id": f"m{n:04d}", "conversation_id": cid, "position": n,
            "role": "user" if n % 2 else "assistant", "content": content,
            "created_at": T0 + timedelta(seconds=n), "metadata": {"n": n},
        }))
    return found


class ConversationsContract(StoreFixtures):
    def test_conversation_round_trip_and_dedup(self, store: Store, observer: Store) -> None:
        cid = unique_id("conv")
        record = conversation(cid, run_id=unique_id("run"), title="Hello",
                              updated_at=T0 + timedelta(minutes=5),
                              metadata={"model": "m-1", "tags": ["a", "b"]})
        assert store.conversations.save_conversation(record) is True
        assert observer.conversations.get_conversation(cid) == record
        assert store.conversations.save_conversation(record.model_dump()) is False
        assert store.conversations.save_conversation(record.model_dump(mode="json")) is False
        assert store.conversations.save_conversations([record, conversation(unique_id("c"))]) == 1
        retitled = record.model_copy(update={"title": "Hello again"})
        assert store.conversations.save_conversation(retitled) is True
        assert observer.conversations.get_conversation(cid).title == "Hello again"

    def test_missing_conversation_raises_not_found(self, store: Store) -> None:
        missing = unique_id("missing")
        for call in (store.conversations.get_conversation, store.conversations.get_messages,
                     store.conversations.get_attachments, store.conversations.delete_conversation):
            with pytest.raises(NotFound):
                call(missing)
        with pytest.raises(NotFound):
            list(store.conversations.iter_messages(missing))

    def test_messages_come_back_in_position_order(self, store: Store, observer: Store) -> None:
        cid = unique_id("conv")
        store.conversations.save_conversation(conversation(cid))
        written = messages(cid, 6)
        assert store.conversations.save_messages(list(reversed(written))) == 6
        # A tie on position sorts by id.
        tie = Message(id="m0003a", conversation_id=cid, position=3, role="tool",
                      content=[ContentPart(type="tool_result", text="ok")])
        assert store.conversations.save_messages([tie]) == 1
        expected = [*written[:4], tie, *written[4:]]
        assert observer.conversations.get_messages(cid) == expected
        assert list(observer.conversations.iter_messages(cid)) == expected
        assert expected[0].text == "part 0"

    def test_iter_messages_streams_past_a_batch(self, store: Store) -> None:
        cid = unique_id("conv")
        store.conversations.save_conversation(conversation(cid))
        written = messages(cid, 520)
        assert store.conversations.save_messages(written) == 520
        streamed = list(store.conversations.iter_messages(cid))
        assert [m.id for m in streamed] == [m.id for m in written]

    def test_saving_again_changes_nothing_and_changes_replace(self, store: Store,
                                                              observer: Store) -> None:
        cid = unique_id("conv")
        store.conversations.save_conversation(conversation(cid))
        written = messages(cid, 10)
        assert store.conversations.save_messages(written) == 10
        assert store.conversations.save_messages(written) == 0
        as_dicts = [m.model_dump() for m in written]
        assert store.conversations.save_messages(as_dicts) == 0
        as_json = [m.model_dump(mode="json") for m in written]
        assert store.conversations.save_messages(as_json) == 0
        # An unknown field is refused even when everything else matches what is stored.
        with pytest.raises(InvalidInput, match="bogus"):
            store.conversations.save_messages([{**as_json[0], "bogus": 1}])
        edited = written[4].model_copy(update={"content": "edited", "role": "system"})
        more = messages(cid, 2, start=10)
        assert store.conversations.save_messages([*written[:4], edited, *more]) == 3
        stored = observer.conversations.get_messages(cid)
        assert len(stored) == 12
        assert stored[4] == edited
        assert stored[10:] == more

    def test_a_bad_message_stores_nothing_of_the_call(self, store: Store,
                                                      observer: Store) -> None:
        cid = unique_id("conv")
        store.conversations.save_conversation(conversation(cid))
        good = messages(cid, 3)
        bad = {**good[2].model_dump(), "id": "m-bad", "position": -1}
        with pytest.raises(InvalidInput, match="position"):
            store.conversations.save_messages([*good[:2], bad])
        with pytest.raises(InvalidInput, match="twice"):
            store.conversations.save_messages([good[0], good[1], good[0]])
        with pytest.raises(InvalidInput):
            store.conversations.save_messages(good[0])  # type: ignore[arg-type]
        assert observer.conversations.get_messages(cid) == []

    def test_messages_need_their_conversation(self, store: Store, observer: Store) -> None:
        cid, missing = unique_id("conv"), unique_id("missing")
        store.conversations.save_conversation(conversation(cid))
        with pytest.raises(NotFound):
            store.conversations.save_messages([*messages(cid, 2), *messages(missing, 1)])
        assert observer.conversations.get_messages(cid) == []

    def test_bad_records_name_the_problem(self, store: Store) -> None:
        with pytest.raises(InvalidInput, match="source"):
            store.conversations.save_conversation({"id": unique_id("c"), "source": ""})
        with pytest.raises(InvalidInput, match="id"):
            store.conversations.save_conversation({"id": "../escape", "source": "x"})
        with pytest.raises(InvalidInput, match="metadata"):
            store.conversations.save_conversation(
                {"id": unique_id("c"), "source": "x", "metadata": {"x": float("nan")}})
        with pytest.raises(InvalidInput, match="JSON"):
            store.conversations.save_conversation(
                {"id": unique_id("c"), "source": "x", "metadata": {"big": 2**70}})
        cid = unique_id("c")
        store.conversations.save_conversation({"id": cid, "source": "x"})
        with pytest.raises(InvalidInput, match="message \\[0\\]: id"):
            store.conversations.save_messages([{"id": ["m0"], "conversation_id": cid,
                                                "position": 0, "role": "user",
                                                "content": "an unhashable id"}])
        with pytest.raises(InvalidInput, match="message \\[1\\]: metadata"):
            store.conversations.save_messages([
                {"id": "m0", "conversation_id": cid, "position": 0, "role": "user",
                 "content": "fine"},
                {"id": "m1", "conversation_id": cid, "position": 1, "role": "user",
                 "content": "metadata JSON cannot hold", "metadata": {"x": (1, 2)}}])
        assert store.conversations.get_messages(cid) == []
        with pytest.raises(InvalidInput):
            store.conversations.get_conversation("../etc")

    def test_list_filters_by_source_and_run(self, store: Store) -> None:
        source, other = unique_id("src"), unique_id("src")
        run = unique_id("run")
        ids = {name: unique_id(name) for name in ("a", "b", "c", "d")}
        store.conversations.save_conversation(conversation(ids["a"], source=source))
        store.conversations.save_conversation(
            conversation(ids["b"], source=source, run_id=run, created_at=T0 + timedelta(1)))
        store.conversations.save_conversation(conversation(ids["c"], source=other, run_id=run))
        store.conversations.save_conversation(conversation(ids["d"], source=other))
        by_source = store.conversations.list_conversations(source=source)
        assert [c.id for c in by_source.items] == [ids["b"], ids["a"]]
        assert by_source.next_cursor is None
        by_run = store.conversations.list_conversations(run_id=run)
        assert [c.id for c in by_run.items] == [ids["b"], ids["c"]]
        both = store.conversations.list_conversations(source=other, run_id=run)
        assert [c.id for c in both.items] == [ids["c"]]
        assert store.conversations.list_conversations(source=unique_id("none")).items == []

    def test_pagination_neither_skips_nor_repeats(self, store: Store) -> None:
        source = unique_id("src")
        records = [conversation(f"{source}-{n:02d}", source=source,
                                created_at=T0 + timedelta(seconds=n // 3)) for n in range(23)]
        for record in records:
            store.conversations.save_conversation(record)
        expected = sorted(records, key=lambda c: (c.created_at, c.id), reverse=True)
        seen: list[Conversation] = []
        cursor: str | None = None
        pages = 0
        while True:
            page = store.conversations.list_conversations(source=source, limit=5, cursor=cursor)
            seen.extend(page.items)
            pages += 1
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == expected
        assert pages == 5
        with pytest.raises(InvalidInput, match="cursor"):
            store.conversations.list_conversations(cursor="not a cursor")
        for limit in (0, 1001):
            with pytest.raises(InvalidInput, match="limit"):
                store.conversations.list_conversations(limit=limit)

    def test_delete_cascades_to_messages_and_attachments(self, store: Store,
                                                         observer: Store) -> None:
        cid, kept = unique_id("conv"), unique_id("conv")
        for target in (cid, kept):
            store.conversations.save_conversation(conversation(target))
            store.conversations.save_messages(messages(target, 3))
            store.conversations.attach(target, b"cascade bytes", name="note.txt",
                                       media_type="text/plain", message_id="m0001")
        store.conversations.delete_conversation(cid)
        with pytest.raises(NotFound):
            observer.conversations.get_conversation(cid)
        with pytest.raises(NotFound):
            store.conversations.delete_conversation(cid)
        # Re-created under the same id, it starts empty: nothing of the old one remains.
        store.conversations.save_conversation(conversation(cid))
        assert observer.conversations.get_messages(cid) == []
        assert observer.conversations.get_attachments(cid) == []
        assert len(observer.conversations.get_messages(kept)) == 3
        [attachment] = observer.conversations.get_attachments(kept)
        assert store.artifacts.get(attachment.sha256) == b"cascade bytes"

    def test_attachment_bytes_shared_by_two_conversations_are_stored_once(
        self, store: Store, observer: Store
    ) -> None:
        first, second = unique_id("conv"), unique_id("conv")
        data = b"shared attachment " + unique_id("bytes").encode()
        made = []
        for cid in (first, second):
            store.conversations.save_conversation(conversation(cid))
            made.append(store.conversations.attach(cid, data, name="photo.png",
                                                   media_type="image/png"))
        assert made[0].sha256 == made[1].sha256
        assert made[0].size == len(data)
        assert [ref.sha256 for ref in store.artifacts.iter_refs()].count(made[0].sha256) == 1
        for cid, record in zip((first, second), made, strict=True):
            assert observer.conversations.get_attachments(cid) == [record]
        assert store.artifacts.get(made[0].sha256) == data
        # Attaching the same file again changes nothing.
        again = store.conversations.attach(first, data, name="photo.png", media_type="image/png")
        assert again == made[0]
        assert store.conversations.save_attachments([again]) == 0
        assert len(observer.conversations.get_attachments(first)) == 1

    def test_attachment_records_round_trip_and_dedup(self, store: Store,
                                                     observer: Store) -> None:
        cid = unique_id("conv")
        store.conversations.save_conversation(conversation(cid))
        store.conversations.save_messages(messages(cid, 2))
        ref = store.artifacts.put(b"report", media_type="application/pdf")
        record = Attachment(id="a1", conversation_id=cid, message_id="m0000", name="r.pdf",
                            media_type=ref.media_type, size=ref.size, sha256=ref.sha256,
                            metadata={"pages": 3})
        assert store.conversations.save_attachments([record]) == 1
        assert store.conversations.save_attachments([record.model_dump()]) == 0
        renamed = record.model_copy(update={"name": "report.pdf"})
        assert store.conversations.save_attachments([renamed]) == 1
        assert observer.conversations.get_attachments(cid) == [renamed]
        orphan = record.model_copy(update={"id": "a2", "message_id": "no-such-message"})
        with pytest.raises(NotFound):
            store.conversations.save_attachments([orphan])
        with pytest.raises(NotFound):
            store.conversations.attach(unique_id("missing"), b"x", name="x.bin")

    def test_saving_a_transcript_in_a_transaction_is_atomic(self, store: Store,
                                                            observer: Store) -> None:
        if not store.capabilities.transactions:
            with pytest.raises(UnsupportedOperation):
                store.transaction()
            return
        cid, lost = unique_id("conv"), unique_id("conv")
        ref = store.artifacts.put(b"in a transaction")
        with store.transaction():
            store.conversations.save_conversation(conversation(cid))
            store.conversations.save_messages(messages(cid, 4))
            store.conversations.save_attachments([Attachment(
                id="a1", conversation_id=cid, name="t.txt", size=ref.size, sha256=ref.sha256)])
        assert len(observer.conversations.get_messages(cid)) == 4
        with pytest.raises(InvalidInput), store.transaction():
            store.conversations.save_conversation(conversation(lost))
            store.conversations.save_messages(messages(lost, 3))
            store.conversations.save_messages(messages(cid, 2, start=4))
            store.conversations.save_messages([{"id": "broken", "conversation_id": lost}])
        with pytest.raises(NotFound):
            observer.conversations.get_conversation(lost)
        assert len(observer.conversations.get_messages(cid)) == 4
        with pytest.raises(Boom), store.transaction():
            store.conversations.delete_conversation(cid)
            raise Boom
        assert len(observer.conversations.get_messages(cid)) == 4
        assert len(observer.conversations.get_attachments(cid)) == 1

    def test_referenced_artifacts_are_the_blobs_of_attachments(self, store: Store) -> None:
        first, second = unique_id("conv"), unique_id("conv")
        data = b"referenced " + unique_id("bytes").encode()
        made = []
        for cid in (first, second):
            store.conversations.save_conversation(conversation(cid))
            made.append(store.conversations.attach(cid, data, name="a.txt"))
        loose = store.artifacts.put(b"loose " + unique_id("bytes").encode())
        refs = list(store.conversations.referenced_artifacts())
        assert len(refs) == len(set(refs))
        assert made[0].sha256 in refs
        assert loose.sha256 not in refs
        store.conversations.delete_conversation(first)
        assert made[0].sha256 in set(store.conversations.referenced_artifacts())
        store.conversations.delete_conversation(second)
        assert made[0].sha256 not in set(store.conversations.referenced_artifacts())
