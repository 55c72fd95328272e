"""The records of one save call, keyed and hashed, validated only when they changed.

A record given as a model is hashed at once. A record given as a plain mapping whose
fields are already in normal form (as ``model_dump(mode="json")`` and ``runstore
conversations show --json`` write them) is first hashed as it is: when that hash
equals the stored one, the record is unchanged and is not even validated, which makes
a re-import cost a parse and a hash per record. Any other mapping is validated before
anything is written, so a bad record still stores nothing of the call.

Why skipping validation is safe: the stored hash is the sha256 of the canonical JSON of
a valid record's document; a mapping with the same canonical JSON is the same JSON
value, and validates to the same record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from runstore.errors import InvalidInput
from runstore.models.common import ID_PATTERN, coerce

__all__ = ["Batch", "Kind", "Prepared", "digest"]

M = TypeVar("M", bound=BaseModel)
Key = tuple[str, ...]


_CANONICAL = orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z


def digest(document: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of a record's document: sorted keys, UTC times
    written as pydantic's JSON mode writes them (``2024-05-01T12:00:00.5Z``)."""
    try:
        return hashlib.sha256(orjson.dumps(document, option=_CANONICAL)).hexdigest()
    except TypeError as exc:  # orjson.JSONEncodeError: e.g. an int beyond 64 bits
        raise InvalidInput(f"record {document.get('id')!r} cannot be stored as JSON: "
                           f"{exc}") from exc


@dataclass(frozen=True, slots=True)
class Kind(Generic[M]):
    """How to key, fill, validate and document one record type."""

    model: type[M]
    what: str
    key_fields: tuple[str, ...]
    fill: Callable[[Mapping[str, Any]], Mapping[str, Any] | None]
    document: Callable[[M], dict[str, Any]]
    # A plain dict's normal-form document without building the record (``None`` when
    # only the model can tell); the record is then built when first asked for.
    fast_document: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None
    # The list type of documents checked already and in normal form (``CheckedMessages``).
    checked: type[list[dict[str, Any]]] | None = None

    def key(self, record: M) -> Key:
        if len(self.key_fields) == 1:
            return (getattr(record, self.key_fields[0]),)
        return (getattr(record, "conversation_id"), getattr(record, "id"))  # noqa: B009

    def prepare(self, value: object, index: int | None = None) -> Prepared[M]:
        record: M
        if type(value) is dict:
            try:
                record = self.model.model_validate(value)
            except ValidationError:
                record = self._coerce(value, index)  # raises InvalidInput naming the field
        else:
            record = self._coerce(value, index)
        document = self.document(record)
        return Prepared(self.key(record), record, document, digest(document))

    def _coerce(self, value: object, index: int | None) -> M:
        what = self.what if index is None else f"{self.what} [{index}]"
        return coerce(self.model, value, what=what)  # type: ignore[arg-type]


class Prepared(Generic[M]):
    """A validated record, its key, its JSON document and the hash of that document.

    Given no record (a document checked without the model), the record is built from
    the document when first asked for; given no digest (a checked document, which is
    JSON: hashing it cannot fail), the hash is computed when first asked for, which on
    PostgreSQL is while COPY streams the rows before it. (A plain slotted class: made
    once per record on bulk paths, so it stays cheap.)"""

    __slots__ = ("_digest", "_model", "_record", "document", "key")

    def __init__(self, key: Key, record: M | None, document: dict[str, Any],
                 digest: str | None, model: type[M] | None = None) -> None:
        self.key = key
        self._record = record
        self._model = model
        self.document = document
        self._digest = digest

    @property
    def record(self) -> M:
        record = self._record
        if record is None:
            assert self._model is not None
            record = self._record = self._model.model_validate(self.document)
        return record

    @property
    def digest(self) -> str:
        found = self._digest
        if found is None:
            found = self._digest = digest(self.document)
        return found


# A mapping not validated yet: its position in the call, and itself (a plain tuple:
# one per record).
_Pending = tuple[int, Mapping[str, Any]]


class Batch(Generic[M]):
    """The records of one call: ``keys`` to look up, then :meth:`changed`."""

    def __init__(self, kind: Kind[M], values: Iterable[object]) -> None:
        if isinstance(values, BaseModel | Mapping | str | bytes):
            raise InvalidInput(f"pass a list of {kind.what}s, not a single "
                               f"{type(values).__name__}")
        self.kind = kind
        self._keys: list[Key] = []
        self._items: list[Prepared[M] | _Pending] = []
        self._valid_ids: set[object] = set()
        if kind.checked is not None and type(values) is kind.checked:
            self._take_checked(values)
        else:
            self._take(values)
        if len(set(self._keys)) != len(self._keys):
            self._duplicate(self._keys)

    def _take(self, values: Iterable[object]) -> None:
        """Key each value; models are prepared now, mappings with valid ids later."""
        kind = self.kind
        pair = len(kind.key_fields) == 2
        valid = self._valid_ids
        keys, items = self._keys, self._items
        for index, value in enumerate(values):
            if type(value) is dict or isinstance(value, Mapping):
                given = (value.get("conversation_id"), value.get("id")) if pair \
                    else (value.get("id"),)
                try:
                    known = valid.issuperset(given)  # the bulk case: ids seen valid before
                except TypeError:  # an unhashable id: prepared below, which names it
                    known = False
                if known or self._valid_key(given):
                    keys.append(given)  # type: ignore[arg-type]
                    items.append((index, value))
                    continue
            prepared = kind.prepare(value, index)  # a model; else InvalidInput
            keys.append(prepared.key)
            items.append(prepared)

    def _take_checked(self, documents: list[dict[str, Any]]) -> None:
        """Take documents checked already, and in normal form (``Kind.checked``), as
        they are."""
        model = self.kind.model
        first, second = self.kind.key_fields
        keys, items = self._keys, self._items
        for document in documents:
            key = (document[first], document[second])
            keys.append(key)
            items.append(Prepared(key, None, document, None, model))

    def _valid_key(self, key: tuple[object, ...]) -> bool:
        """Whether every part of ``key`` is a valid id (remembering those that are)."""
        for part in key:
            if not isinstance(part, str) or (part not in self._valid_ids
                                             and not ID_PATTERN.fullmatch(part)):
                return False
            self._valid_ids.add(part)
        return True

    def _duplicate(self, keys: list[Key]) -> None:
        seen: set[Key] = set()
        for key in keys:
            if key in seen:
                raise InvalidInput(f"{self.kind.what} {key[-1]!r}"
                                   + (f" of conversation {key[0]!r}" if len(key) > 1 else "")
                                   + " appears twice in one call")
            seen.add(key)

    def _unchanged(self, value: Mapping[str, Any], current: str) -> bool:
        """Whether the mapping as given, or with its defaults filled in, hashes to the
        stored ``current`` (it is then the stored record: see the module docstring)."""
        try:
            if digest(value) == current:
                return True
            filled = self.kind.fill(value)
            return filled is not None and filled is not value and digest(filled) == current
        except InvalidInput:  # not JSON as it is
            return False

    def __len__(self) -> int:
        return len(self._items)

    @property
    def keys(self) -> list[Key]:
        """Every record's key, in the order given."""
        return self._keys

    @property
    def parents(self) -> list[str]:
        """The conversation ids the records belong to, first seen first."""
        return list(dict.fromkeys(key[0] for key in self._keys))

    def changed(self, stored: Mapping[Key, str]) -> list[Prepared[M]]:
        """The records whose hash differs from ``stored`` (key -> hash), validated.

        Raises ``InvalidInput`` for the first bad record; call it before writing.
        """
        found: list[Prepared[M]] = []
        kind = self.kind
        fast = kind.fast_document
        for key, item in zip(self._keys, self._items, strict=True):
            current = stored.get(key)
            if type(item) is tuple:
                index, value = item
                if current is not None and self._unchanged(value, current):
                    continue
                # (a pending item's key is made of valid ids, so the document's is the same)
                document = fast(value) if fast is not None and type(value) is dict else None
                prepared = (kind.prepare(value, index) if document is None else
                            Prepared(key, None, document, None, kind.model))
            else:
                prepared = item  # type: ignore[assignment]
            # A new record changed whatever its hash: that is then made when written.
            if current is None or prepared.digest != current:
                found.append(prepared)
        return found

    def prepared(self) -> list[Prepared[M]]:
        """Every record, validated (as if nothing were stored)."""
        return self.changed({})
