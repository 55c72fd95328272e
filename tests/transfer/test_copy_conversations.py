"""Copy and verify of conversations: headers, messages and attachment records (the bytes
are the artifacts repository's to copy)."""

from __future__ import annotations

from pathlib import Path

import pytest

import runstore
from runstore.services.transfer import copy, verify


def _fill(store: runstore.Store) -> None:
    for n in range(7):
        cid = f"c-{n}"
        store.conversations.save_conversation({
            "id": cid, "source": "agent" if n % 2 else "chat", "run_id": f"run-{n}",
            "created_at": f"2024-05-0{n + 1}T10:00:00.25Z", "metadata": {"n": n}})
        store.conversations.save_messages([
            {"id": f"m{k}", "conversation_id": cid, "position": k, "role": "user",
             "content": f"text {k}" if k % 2 else [{"type": "text", "text": f"part {k}"}]}
            for k in range(5)])
        store.conversations.attach(cid, b"shared bytes", name="f.txt", message_id="m2")


@pytest.mark.parametrize("route", [("memory", "file"), ("file", "sqlite"), ("sqlite", "duckdb")])
def test_copy_conversations_between_backends(route: tuple[str, str], tmp_path: Path) -> None:
    urls = {"memory": "memory://", "file": f"file://{tmp_path / 'f'}",
            "sqlite": f"sqlite:///{tmp_path / 'a.db'}",
            "duckdb": f"duckdb:///{tmp_path / 'a.duckdb'}"}
    with runstore.open(urls[route[0]]) as source, runstore.open(urls[route[1]]) as target:
        _fill(source)
        report = copy(source, target, verify=True, batch_size=4)
        written = {k: v for k, v in report.written.items() if k.startswith("conversations.")}
        assert written == {"conversations.conversations": 7,
                           "conversations.conversation_messages": 35,
                           "conversations.conversation_attachments": 7}
        assert report.verification is not None
        assert report.verification.identical
        again = copy(source, target, only=["conversations"])
        assert set(again.written.values()) == {0}
        assert target.conversations.get_messages("c-3") == source.conversations.get_messages("c-3")
        assert target.conversations.get_attachments("c-3") == \
            source.conversations.get_attachments("c-3")
        target.conversations.save_messages([{"id": "m0", "conversation_id": "c-1",
                                             "position": 0, "role": "user", "content": "new"}])
        assert not verify(source, target, only=["conversations"]).identical
