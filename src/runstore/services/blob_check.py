"""The blob part of ``runstore doctor``: blobs whose bytes no longer match their sha256,
and blobs that records refer to but that are gone. Written only against ports, so it
checks every backend and every blob store (a local folder, S3) alike.

Each damaged blob is named with the records that refer to it (results by key,
conversation attachments by conversation and id): those are the records that lose their
bytes when ``repair`` moves the blob to quarantine. Nothing is ever deleted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from runstore.errors import CorruptRecord, NotFound, RunstoreError
from runstore.models.conversations import Attachment
from runstore.models.transfer import StoredResult
from runstore.ports.artifacts import ArtifactRepository
from runstore.ports.health import Finding
from runstore.services.gc import referenced_artifacts
from runstore.services.transfer import transferable_repositories
from runstore.store import Store

__all__ = ["BlobCheck", "check_blobs"]

# How many referring records a finding names before it says "and N more".
_NAMED: Final = 10
_READ: Final = 1024 * 1024


@dataclass(slots=True)
class BlobCheck:
    """What the blob check found: ``checked`` blobs read to the end, and findings."""

    checked: int = 0
    findings: list[Finding] = field(default_factory=list)


def check_blobs(store: Store, *, repair: bool = False) -> BlobCheck:
    """Read every blob of ``store.artifacts`` to the end and check its sha256; with
    ``repair``, move each damaged blob to the blob store's quarantine."""
    artifacts = store.artifacts
    result = BlobCheck()
    damaged: dict[str, str] = {}
    present: set[str] = set()
    for ref in artifacts.iter_refs():
        result.checked += 1
        present.add(ref.sha256)
        problem = _verify(artifacts, ref.sha256)
        if problem is not None:
            damaged[ref.sha256] = problem
    try:
        missing = sorted(referenced_artifacts(store) - present)
    except CorruptRecord as exc:
        missing = []
        result.findings.append(Finding(exc.location, exc.reason,
                                       lost="cannot tell which blobs the records refer to"))
    if not damaged and not missing:
        return result
    referrers = _referrers(store, set(damaged) | set(missing))
    for sha256, problem in sorted(damaged.items()):
        action = ""
        if repair:
            try:
                action = artifacts.quarantine(sha256)
            except NotFound:
                action = "gone already"
        result.findings.append(Finding(_where(artifacts, sha256), problem,
                                       lost=_lost(referrers, sha256),
                                       action=action))
    for sha256 in missing:
        problem = (f"blob {sha256} is missing (nothing to repair: put the same bytes "
                   "again, or delete the records; if an earlier `runstore doctor --repair` "
                   f"found them damaged, they are in the quarantine of {artifacts.location})")
        result.findings.append(Finding(_where(artifacts, sha256), problem,
                                       lost=_lost(referrers, sha256)))
    return result


def _verify(artifacts: ArtifactRepository, sha256: str) -> str | None:
    """``None`` when the blob reads to the end with its hash; else what is wrong."""
    try:
        with artifacts.open(sha256) as stream:
            while stream.read(_READ):
                pass
    except NotFound:
        return None  # removed meanwhile (gc)
    except CorruptRecord as exc:
        return exc.reason
    return None


def _where(artifacts: ArtifactRepository, sha256: str) -> str:
    return f"{artifacts.location}/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def _referrers(store: Store, wanted: set[str]) -> dict[str, list[str]] | None:
    """The records that refer to each of ``wanted``; ``None`` when they cannot be read."""
    found: dict[str, list[str]] = defaultdict(list)
    try:
        for repository, port in transferable_repositories(store, ["results", "conversations"]):
            record_type = "results" if repository == "results" else "conversation_attachments"
            for batch in port.export_records(record_type):
                for name, sha256 in _refs(batch):
                    if sha256 in wanted:
                        found[sha256].append(name)
    except RunstoreError:
        return None
    return found


def _refs(records: Iterable[object]) -> Iterable[tuple[str, str]]:
    for record in records:
        if isinstance(record, StoredResult) and record.artifact is not None:
            yield f"result {record.key!r}", record.artifact.sha256
        elif isinstance(record, Attachment):
            yield (f"attachment {record.id!r} of conversation {record.conversation_id!r}",
                   record.sha256)


def _lost(referrers: dict[str, list[str]] | None, sha256: str) -> str:
    if referrers is None:
        return "unknown: the records that refer to blobs cannot be read"
    names = sorted(referrers.get(sha256, []))
    if not names:
        return "nothing: no result or attachment refers to it"
    more = f" and {len(names) - _NAMED} more" if len(names) > _NAMED else ""
    return f"bytes of {', '.join(names[:_NAMED])}{more}"
