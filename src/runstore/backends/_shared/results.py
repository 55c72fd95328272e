"""Results logic every backend shares: keys, encoding, large values, lazy decoding."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from runstore.backends._shared.options import ResultOptions
from runstore.errors import CorruptRecord, InvalidInput, RunstoreError
from runstore.models.artifacts import ArtifactRef
from runstore.models.common import JsonObject, canonical_json, content_hash, ensure_utc, utcnow
from runstore.models.results import RESULT_KEY_MAX, ResultError, ResultRecord, ResultStatus
from runstore.ports.artifacts import ArtifactRepository
from runstore.services.serializers import Serializer, get_serializer

__all__ = [
    "ResultCodec",
    "check_content_hash",
    "check_key",
    "check_page",
    "definition_hash",
    "dumps_json",
]


def check_key(key: object) -> str:
    """A result key: 1 to 512 characters of valid text, without NUL."""
    if not isinstance(key, str) or not 0 < len(key) <= RESULT_KEY_MAX or "\x00" in key:
        raise InvalidInput(
            f"invalid result key {key!r}: use 1 to {RESULT_KEY_MAX} characters, no NUL")
    try:
        key.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput(f"invalid result key {key!r}: not valid text ({exc})") from exc
    return key


def check_page(prefix: object, limit: object, cursor: object) -> None:
    if prefix is not None and (not isinstance(prefix, str) or "\x00" in prefix):
        raise InvalidInput(f"invalid key prefix {prefix!r}")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10_000:
        raise InvalidInput(f"invalid limit {limit!r}: use 1 to 10000")
    if cursor is not None:
        check_key(cursor)


def check_content_hash(value: object) -> str:
    if not isinstance(value, str) or len(value) != 64 or \
            any(c not in "0123456789abcdef" for c in value):
        raise InvalidInput(f"invalid content hash {value!r}: expected 64 lowercase hex digits")
    return value


def definition_hash(definition: object) -> tuple[str, bytes]:
    """The content hash and canonical JSON of a definition (``InvalidInput`` if not JSON)."""
    body = canonical_json(definition, what="definition")
    return hashlib.sha256(body).hexdigest(), body


def _metadata(metadata: Mapping[str, Any] | None) -> JsonObject:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise InvalidInput(f"metadata must be a dict, not {type(metadata).__name__}")
    content_hash(metadata, what="metadata")
    return dict(metadata)


class ResultCodec:
    """Encodes values for one store (its options and artifact store) and decodes them."""

    def __init__(self, options: ResultOptions, artifacts: ArtifactRepository, *,
                 verify_inline: bool = True) -> None:
        self.options = options
        self.artifacts = artifacts
        # Databases guard their own pages; plain files are checked against the hash.
        self.verify_inline = verify_inline
        self._serializers: dict[str, Serializer] = {}

    def serializer(self, name: str) -> Serializer:
        """The serializer ``name``, if this store allows it (looked up once per name)."""
        found = self._serializers.get(name)
        if found is None:
            found = get_serializer(name, allow_pickle=self.options.allow_pickle)
            self._serializers[name] = found
        return found

    def success(self, key: str, value: Any, serializer: str,
                metadata: Mapping[str, Any] | None,
                created_at: datetime | None = None) -> tuple[ResultRecord, bytes | None]:
        """The record for a success and its inline bytes (``None`` when in artifacts)."""
        check_key(key)
        codec = self.serializer(serializer)
        meta = _metadata(metadata)
        data = codec.dumps(value)
        if not isinstance(data, bytes):
            raise InvalidInput(f"serializer {serializer!r} did not return bytes")
        digest = hashlib.sha256(data).hexdigest()
        artifact: ArtifactRef | None = None
        inline: bytes | None = data
        if len(data) > self.options.inline_limit:
            artifact = self.artifacts.put(data, media_type=codec.media_type)
            inline = None
        # Every field was checked above: skip pydantic's validation (a put is a hot path).
        return self.record({
            "key": key, "status": ResultStatus.SUCCESS, "serializer": serializer,
            "size": len(data), "content_hash": digest, "artifact": artifact, "error": None,
            "metadata": meta,
            "created_at": utcnow() if created_at is None else ensure_utc(created_at),
        }, inline), inline

    def failure(self, key: str, error: BaseException | str | ResultError,
                metadata: Mapping[str, Any] | None) -> ResultRecord:
        check_key(key)
        if isinstance(error, ResultError):
            detail = error
        elif isinstance(error, BaseException | str):
            detail = ResultError.from_error(error)
        else:
            raise InvalidInput(
                f"error must be an exception or a message, not {type(error).__name__}")
        return ResultRecord(key=key, status=ResultStatus.FAILURE, error=detail,
                            metadata=_metadata(metadata), created_at=utcnow())

    def record(self, fields: dict[str, Any], inline: bytes | None) -> ResultRecord:
        """A record of ``fields`` read back from storage (trusted: every field, of the
        right type), its value decoded on first access: ``attach`` in one step for the
        common case of hot reads and writes, raw bytes."""
        if self._as_is(fields["status"], fields["serializer"], inline):
            return ResultRecord.trusted(fields, value=inline)
        return self.attach(ResultRecord.trusted(fields), inline)

    def attach(self, record: ResultRecord, inline: bytes | None) -> ResultRecord:
        """Give ``record`` the loader that decodes its value on first access."""
        if record.status is not ResultStatus.SUCCESS:
            return record.with_loader(None)
        if self._as_is(record.status, record.serializer, inline):
            return record.with_loader(None, inline)
        return record.with_loader(lambda: self._decode(record, inline))

    def _as_is(self, status: ResultStatus, serializer: str | None,
               inline: bytes | None) -> bool:
        """Whether ``inline`` is the value itself: raw bytes of a success, in a store
        that does not check them against their hash (decoding bytes is the identity)."""
        return (inline is not None and serializer == "bytes" and not self.verify_inline
                and status is ResultStatus.SUCCESS)

    def _decode(self, record: ResultRecord, inline: bytes | None) -> Any:
        where = f"result {record.key!r}"
        assert record.serializer is not None
        codec = self.serializer(record.serializer)
        if record.artifact is not None:
            data = self.artifacts.get(record.artifact.sha256)
        elif inline is not None:
            data = inline
            if self.verify_inline and hashlib.sha256(data).hexdigest() != record.content_hash:
                raise CorruptRecord(where, "stored value does not match its content hash")
        else:
            raise CorruptRecord(where, "the record has neither a value nor an artifact ref")
        try:
            return codec.loads(data)
        except RunstoreError:
            raise
        except Exception as exc:
            raise CorruptRecord(where, f"{record.serializer} value does not decode: {exc}") \
                from exc


def dumps_json(value: object) -> str:
    """Compact JSON text for metadata and error columns."""
    return orjson.dumps(value).decode()
