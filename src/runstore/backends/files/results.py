"""Results and definitions as JSON files.

``results/<h[:2]>/<h>.json`` where ``h`` is the sha256 of the key (any key is safe as
a file name that way); the file holds the record and its inline value in base64.
``definitions/<h[:2]>/<h>.json`` holds a definition's canonical JSON.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from runstore.backends._shared.results import (
    ResultCodec,
    check_content_hash,
    check_key,
    check_page,
    definition_hash,
)
from runstore.backends.files.atomic import atomic_write
from runstore.backends.files.layout import FileLayout
from runstore.backends.files.transfer import FileDefinitionTransfer, FileResultTransfer
from runstore.errors import CorruptRecord, NotFound
from runstore.models.artifacts import ArtifactRef
from runstore.models.common import JsonObject, JsonValue, Page
from runstore.models.results import ResultError, ResultRecord
from runstore.ports.health import Finding

__all__ = ["FileDefinitionRepository", "FileResultRepository"]


def _name(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return f"{digest[:2]}/{digest}.json"


class FileResultRepository(FileResultTransfer):
    """One JSON file per key, replaced atomically by each put (the last put wins)."""

    def __init__(self, layout: FileLayout, codec: ResultCodec) -> None:
        self._layout = layout
        self._root = layout.root / "results"
        self._codec = codec

    def _write(self, record: ResultRecord, inline: bytes | None) -> None:
        body = record.model_dump(mode="json")
        body["value_base64"] = None if inline is None else base64.b64encode(inline).decode()
        atomic_write(self._root / _name(record.key), orjson.dumps(body, option=orjson.OPT_INDENT_2),
                     durable=self._layout.durable)

    def _read(self, path: Path) -> ResultRecord:
        try:
            body = orjson.loads(path.read_bytes())
            encoded = body.pop("value_base64", None)
            inline = None if encoded is None else base64.b64decode(encoded, validate=True)
            record = ResultRecord.model_validate(body)
        except FileNotFoundError:
            raise
        except (OSError, ValueError, TypeError, AttributeError, ValidationError) as exc:
            raise CorruptRecord(str(path), f"unreadable result ({type(exc).__name__})") from exc
        return self._codec.attach(record, inline)

    def put_success(self, key: str, value: Any, *, serializer: str = "json",
                    metadata: JsonObject | None = None) -> ResultRecord:
        record, inline = self._codec.success(key, value, serializer, metadata)
        self._write(record, inline)
        return record

    def put_failure(self, key: str, error: BaseException | str | ResultError, *,
                    metadata: JsonObject | None = None) -> ResultRecord:
        record = self._codec.failure(key, error, metadata)
        self._write(record, None)
        return record

    def get_record(self, key: str) -> ResultRecord | None:
        path = self._root / _name(check_key(key))
        try:
            record = self._read(path)
        except FileNotFoundError:
            return None
        if record.key != key:
            raise CorruptRecord(str(path), f"holds key {record.key!r}, expected {key!r}")
        return record

    def has(self, key: str) -> bool:
        return (self._root / _name(check_key(key))).is_file()

    def delete(self, key: str) -> None:
        try:
            (self._root / _name(check_key(key))).unlink()
        except FileNotFoundError:
            raise NotFound("result", key) from None

    def clear(self) -> None:
        for path in self._files():
            path.unlink(missing_ok=True)

    def _files(self) -> Iterator[Path]:
        if self._root.is_dir():
            yield from sorted(self._root.glob("??/*.json"))

    def _records(self) -> Iterator[ResultRecord]:
        for path in self._files():
            try:
                yield self._read(path)
            except FileNotFoundError:
                continue
            except CorruptRecord as exc:
                warnings.warn(f"skipping {exc}", stacklevel=3)

    def query(self, *, prefix: str | None = None, limit: int = 100,
              cursor: str | None = None) -> Page[ResultRecord]:
        check_page(prefix, limit, cursor)
        chosen = sorted(
            (r for r in self._records() if (prefix is None or r.key.startswith(prefix))
             and (cursor is None or r.key > cursor)),
            key=lambda r: r.key,
        )
        items = chosen[:limit]
        more = len(chosen) > limit
        return Page[ResultRecord](items=items, next_cursor=items[-1].key if more else None)

    def count(self) -> int:
        return sum(1 for _ in self._files())

    def referenced_artifacts(self) -> Iterator[str]:
        found: set[str] = set()
        for path in self._files():
            try:
                body = orjson.loads(path.read_bytes())
                artifact = body.get("artifact")
                if artifact is not None:
                    found.add(ArtifactRef.model_validate(artifact).sha256)
            except FileNotFoundError:
                continue
            except (OSError, ValueError, AttributeError) as exc:  # ValidationError too
                raise CorruptRecord(str(path), f"unreadable result ({type(exc).__name__}); "
                                    "run 'runstore doctor'") from exc
        return iter(found)

    def check(self, *, repair: bool) -> builtins.list[Finding]:
        """Result files that do not parse; ``repair`` moves them to quarantine."""
        findings: builtins.list[Finding] = []
        for path in self._files():
            try:
                self._read(path)
            except CorruptRecord as exc:
                action = self._layout.quarantine(path) if repair else ""
                findings.append(Finding(str(path), exc.reason, lost="one cached result",
                                        action=action))
            except FileNotFoundError:
                continue
        return findings

    def close(self) -> None:
        """Nothing is held open."""


class FileDefinitionRepository(FileDefinitionTransfer):
    """Canonical JSON files named by their content hash, written once."""

    def __init__(self, layout: FileLayout) -> None:
        self._layout = layout
        self._root = layout.root / "definitions"

    def put(self, definition: JsonValue) -> str:
        digest, body = definition_hash(definition)
        path = self._root / f"{digest[:2]}/{digest}.json"
        if not path.is_file():
            atomic_write(path, body, durable=self._layout.durable)
        return digest

    def get(self, content_hash: str) -> JsonValue:
        check_content_hash(content_hash)
        path = self._root / f"{content_hash[:2]}/{content_hash}.json"
        try:
            body = path.read_bytes()
        except FileNotFoundError:
            raise NotFound("definition", content_hash) from None
        if hashlib.sha256(body).hexdigest() != content_hash:
            raise CorruptRecord(str(path), "definition does not match its content hash")
        value: JsonValue = orjson.loads(body)
        return value

    def has(self, content_hash: str) -> bool:
        check_content_hash(content_hash)
        return (self._root / f"{content_hash[:2]}/{content_hash}.json").is_file()
