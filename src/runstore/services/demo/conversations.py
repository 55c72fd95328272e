"""Demo step: an agent's transcript with an attachment, saved twice to show dedup."""

from __future__ import annotations

from typing import Any

from runstore.store import Store

__all__ = ["save_transcript"]

_CONVERSATION: dict[str, Any] = {
    "id": "demo-triage-1", "source": "agent-triage", "run_id": "demo-run-1",
    "title": "Triage of ticket #42", "created_at": "2025-01-06T09:00:00Z",
}
_MESSAGES: list[dict[str, Any]] = [
    {"id": "m0", "position": 0, "role": "user", "content": "The nightly ETL failed again."},
    {"id": "m1", "position": 1, "role": "assistant",
     "content": [{"type": "tool_call", "data": {"name": "logs.query", "status": "failed"}},
                 {"type": "text", "text": "The load step timed out on the warehouse."}]},
]


def save_transcript(store: Store) -> list[str]:
    """Save a conversation, its messages and an attachment; a second run changes nothing."""
    chats = store.conversations
    header = "saved" if chats.save_conversation(_CONVERSATION) else "unchanged"
    changed = chats.save_messages([{**m, "conversation_id": _CONVERSATION["id"]}
                                   for m in _MESSAGES])
    attachment = chats.attach(_CONVERSATION["id"], b"load: timeout after 600 s\n",
                              name="load.log", media_type="text/plain", message_id="m1")
    return [f"{_CONVERSATION['id']} ({header}): {len(_MESSAGES)} messages, {changed} changed",
            f"attachment {attachment.name} sha256 {attachment.sha256[:12]} "
            f"({attachment.size} bytes, stored once however often it is attached)"]
