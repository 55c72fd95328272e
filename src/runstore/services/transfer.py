"""Copy and verify: move any store to any other and prove nothing was lost.

Written only against ports: every repository implements the transfer port
(``runstore.ports.transfer.Transferable``): workflows, runs (runs, tasks, attempts),
logs (records and events), metrics (stored aggregates and patterns), results,
definitions and conversations, and artifacts through :class:`ArtifactTransfer`.
Each record type is streamed in batches, so memory stays bounded whatever the size.
Imports skip records already present, so a copy that was interrupted can simply be
run again. Artifacts are copied first, blob by blob, so a record copied later never
points at a blob the destination lacks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from hashlib import sha256
from typing import cast

import orjson
from pydantic import BaseModel

from runstore.errors import InvalidInput, UnsupportedOperation
from runstore.ports.transfer import Transferable
from runstore.services.artifact_transfer import ArtifactTransfer, is_artifact_repository
from runstore.store import REPOSITORIES, Store

__all__ = [
    "CopyReport",
    "Difference",
    "Progress",
    "TableDigest",
    "VerifyReport",
    "copy",
    "digest",
    "transferable_repositories",
    "verify",
]

# (record type, records just processed, total expected or None)
Progress = Callable[[str, int, int | None], None]

_MODULUS = 1 << 256


@dataclass(frozen=True, slots=True)
class TableDigest:
    """Count and order-independent content digest of one record type."""

    repository: str
    record_type: str
    count: int
    digest: str


@dataclass(frozen=True, slots=True)
class Difference:
    """Where two stores disagree."""

    repository: str
    record_type: str
    source: TableDigest | None
    destination: TableDigest | None

    def describe(self) -> str:
        src, dst = self.source, self.destination
        if src is None or dst is None:
            side = "source" if src is None else "destination"
            return f"{self.repository}.{self.record_type}: not available in the {side}"
        if src.count != dst.count:
            return (f"{self.repository}.{self.record_type}: {src.count} records in the source, "
                    f"{dst.count} in the destination")
        return f"{self.repository}.{self.record_type}: same count ({src.count}), different content"


@dataclass(slots=True)
class VerifyReport:
    """Per-record-type digests of both sides, and the differences."""

    source: list[TableDigest] = field(default_factory=list)
    destination: list[TableDigest] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.differences


@dataclass(slots=True)
class CopyReport:
    """What a copy read and wrote per record type, and the verification if asked for."""

    read: dict[str, int] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    verification: VerifyReport | None = None


def _selected(only: Iterable[str] | None) -> list[str]:
    if only is None:
        return list(REPOSITORIES)
    names = list(only)
    unknown = sorted(set(names) - set(REPOSITORIES))
    if unknown:
        raise InvalidInput(f"unknown repository {unknown[0]!r}; known: {', '.join(REPOSITORIES)}")
    return [name for name in REPOSITORIES if name in names]


def _transferable(store: Store, repository: str,
                  source: Store | None = None) -> Transferable | None:
    """The transfer port of ``store``'s ``repository`` (``None`` when it has none); for
    artifacts, an :class:`ArtifactTransfer` that imports blobs from ``source``."""
    try:
        candidate = getattr(store, repository)
    except (UnsupportedOperation, AttributeError):
        return None
    if repository == "artifacts" and is_artifact_repository(candidate):
        return ArtifactTransfer(candidate, None if source is None else source.artifacts)
    if not all(hasattr(candidate, name) for name in
               ("record_types", "count_records", "export_records", "import_records")):
        return None
    return cast(Transferable, candidate)


def transferable_repositories(store: Store, only: Iterable[str] | None = None
                              ) -> list[tuple[str, Transferable]]:
    """The repositories of ``store`` that implement the transfer port, in copy order."""
    found = []
    for repository in _selected(only):
        candidate = _transferable(store, repository)
        if candidate is not None:
            found.append((repository, candidate))
    return found


def _record_hash(record: BaseModel) -> int:
    # The bytes of ``canonical_json`` (sorted keys, no spaces, UTF-8) without its walk
    # for NaN and infinities, which stored records never hold (they were validated).
    body = orjson.dumps(record.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return int.from_bytes(sha256(body).digest(), "big")


def digest(records: Iterable[list[BaseModel]]) -> tuple[int, str]:
    """Count and an order-independent digest (sum of sha256 values) of record batches."""
    count, total = 0, 0
    for batch in records:
        for record in batch:
            total = (total + _record_hash(record)) % _MODULUS
            count += 1
    return count, f"{total:064x}"


def _digests(store: Store, repositories: list[str], batch_size: int) -> list[TableDigest]:
    found = []
    for repository, source in transferable_repositories(store, repositories):
        for record_type in source.record_types():
            count, value = digest(source.export_records(record_type, batch_size=batch_size))
            found.append(TableDigest(repository, record_type, count, value))
    return found


def verify(source: Store, destination: Store, *, only: Iterable[str] | None = None,
           batch_size: int = 1000) -> VerifyReport:
    """Compare counts and content digests per record type of two stores."""
    repositories = _selected(only)
    report = VerifyReport(_digests(source, repositories, batch_size),
                          _digests(destination, repositories, batch_size))
    left = {(d.repository, d.record_type): d for d in report.source}
    right = {(d.repository, d.record_type): d for d in report.destination}
    for key in sorted(set(left) | set(right)):
        a, b = left.get(key), right.get(key)
        if a is None and b is not None and b.count == 0:
            continue
        if b is None and a is not None and a.count == 0:
            continue
        if a is None or b is None or (a.count, a.digest) != (b.count, b.digest):
            report.differences.append(Difference(key[0], key[1], a, b))
    return report


_verify_stores = verify  # ``copy`` takes a ``verify`` flag that shadows the function


def copy(source: Store, destination: Store, *, only: Iterable[str] | None = None,
         verify: bool = False, batch_size: int = 1000,
         progress: Progress | None = None) -> CopyReport:
    """Copy every record of ``source`` into ``destination``, preserving ids and times.

    Safe to interrupt and re-run: records already in the destination are skipped.
    With ``verify=True`` the report carries a :class:`VerifyReport` of both stores.
    """
    if batch_size < 1:
        raise InvalidInput(f"batch_size must be at least 1, not {batch_size}")
    repositories = _selected(only)
    report = CopyReport()
    for repository in sorted(repositories, key=lambda name: name != "artifacts"):
        reader = _transferable(source, repository)
        writer = _transferable(destination, repository, source)
        if reader is None:
            report.skipped[repository] = "the source does not provide it"
            continue
        if writer is None:
            raise UnsupportedOperation(
                f"{destination.url} cannot store {repository}, which {source.url} holds")
        for record_type in reader.record_types():
            total = reader.count_records(record_type)
            read = written = 0
            for batch in reader.export_records(record_type, batch_size=batch_size):
                written += writer.import_records(record_type, batch)
                read += len(batch)
                if progress is not None:
                    progress(f"{repository}.{record_type}", len(batch), total)
            report.read[f"{repository}.{record_type}"] = read
            report.written[f"{repository}.{record_type}"] = written
    if verify:
        report.verification = _verify_stores(source, destination, only=repositories,
                                             batch_size=batch_size)
    return report

