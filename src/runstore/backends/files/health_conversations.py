"""``runstore doctor`` on conversations: headers, messages and attachment lists that do
not parse or no longer match their ``content_hash``.

With ``repair``: a conversation whose header is damaged goes to quarantine whole (its
messages cannot be reached without it); a damaged message file goes alone; an
attachment list keeps its good records (the damaged file goes to quarantine and the good
records are written back), all under the conversation's lock.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from runstore.backends.files.atomic import atomic_write
from runstore.backends.files.conversations import _ATTACHMENTS, _HEADER, _MESSAGES, _load, _validate
from runstore.backends.files.health import keep_a_copy
from runstore.backends.files.layout import FileLayout
from runstore.errors import CorruptRecord
from runstore.models.conversations import Attachment, Conversation, Message
from runstore.ports.health import Finding

__all__ = ["check_conversations"]


def check_conversations(layout: FileLayout, *, repair: bool) -> list[Finding]:
    """Every conversation folder under ``ROOT/conversations``."""
    root = layout.root / "conversations"
    findings: list[Finding] = []
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")) \
        if root.is_dir() else []
    for folder in folders:
        if not (folder / _HEADER).exists():
            continue  # not a conversation (a save that never wrote its header)
        with layout.lock(f"conversation:{folder.name}"):
            findings += _check_folder(layout, folder, repair=repair)
    return findings


def _check_folder(layout: FileLayout, folder: Path, *, repair: bool) -> list[Finding]:
    conversation_id = folder.name
    messages = sorted((folder / _MESSAGES).glob("*.json")) \
        if (folder / _MESSAGES).is_dir() else []
    try:
        _load(folder / _HEADER, Conversation, conversation_id)
    except CorruptRecord as exc:
        return [Finding(exc.location, exc.reason,
                        lost=f"conversation {conversation_id!r} with its {len(messages)} "
                             "messages and its attachments",
                        action=layout.quarantine(folder) if repair else "")]
    findings = []
    for path in messages:
        try:
            _load(path, Message, conversation_id)
        except CorruptRecord as exc:
            findings.append(Finding(
                exc.location, exc.reason,
                lost=f"message {path.stem!r} of conversation {conversation_id!r}",
                action=layout.quarantine(path) if repair else ""))
    path = folder / _ATTACHMENTS
    if path.exists():
        findings += _check_attachments(layout, path, conversation_id, repair=repair)
    return findings


def _check_attachments(layout: FileLayout, path: Path, conversation_id: str, *,
                       repair: bool) -> list[Finding]:
    try:
        records = orjson.loads(path.read_bytes())
        if not isinstance(records, dict) or \
                not all(isinstance(v, dict) for v in records.values()):
            raise ValueError("expected an object of attachment records")
    except (OSError, ValueError) as exc:
        return [Finding(str(path), f"does not parse ({exc})",
                        lost=f"every attachment record of conversation {conversation_id!r}",
                        action=layout.quarantine(path) if repair else "")]
    bad: dict[str, str] = {}
    for attachment_id, document in records.items():
        body = {k: v for k, v in document.items() if k != "content_hash"}
        try:
            _validate(path, Attachment, body, document)
        except CorruptRecord as exc:
            bad[attachment_id] = exc.reason
    if not bad:
        return []
    action = ""
    if repair:
        target = keep_a_copy(layout, path)
        good = {k: v for k, v in records.items() if k not in bad}
        atomic_write(path, orjson.dumps(dict(sorted(good.items())),
                                        option=orjson.OPT_INDENT_2) + b"\n",
                     durable=layout.durable)
        action = f"moved to {target}; rewrote the {len(good)} good attachment records"
    names = ", ".join(repr(k) for k in sorted(bad))
    first = min(bad)
    return [Finding(f"{path}:{first}", bad[first] + (f"; {len(bad) - 1} more bad records"
                                                     if len(bad) > 1 else ""),
                    lost=f"attachment records {names} of conversation {conversation_id!r}",
                    action=action)]
