"""``runstore gc``: remove the blobs that no result and no attachment refers to any more.

Written only against ports. The blobs of ``store.artifacts`` are kept when a stored
result (a value too large to keep inline) or a conversation attachment record refers to
them; every other blob goes, including blobs put directly with ``store.artifacts.put``
whose refs the caller keeps elsewhere. References are collected twice, before and after
the blobs are listed, so a blob that gains a reference meanwhile stays; a blob put but
not yet referred to when the second collection runs may still go, so run gc when no
writer is storing new results or attachments (as a scheduled job after ``prune``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from runstore.errors import NotFound
from runstore.models.artifacts import ArtifactRef
from runstore.services.archive import optional
from runstore.services.transfer import Progress
from runstore.store import Store

__all__ = ["GcReport", "gc", "referenced_artifacts"]


@dataclass(slots=True)
class GcReport:
    """What ``gc`` found: blobs scanned, kept, and removed (or, on a dry run, would be)."""

    dry_run: bool
    scanned: int = 0
    kept: int = 0
    removed: list[ArtifactRef] = field(default_factory=list)

    @property
    def freed_bytes(self) -> int:
        """Bytes of the removed blobs."""
        return sum(ref.size for ref in self.removed)


def referenced_artifacts(store: Store) -> set[str]:
    """The sha256 of every blob a result or an attachment record of ``store`` refers to.

    ``CorruptRecord`` when a record cannot be read: its blob might be one of them.
    """
    found: set[str] = set()
    for name in ("results", "conversations"):
        repository = optional(store, name)
        if repository is not None:
            found.update(repository.referenced_artifacts())
    return found


def gc(store: Store, *, dry_run: bool = False, progress: Progress | None = None) -> GcReport:
    """Delete the blobs of ``store.artifacts`` that nothing refers to; see the module."""
    report = GcReport(dry_run=dry_run)
    keep = referenced_artifacts(store)
    unreferenced: list[ArtifactRef] = []
    for ref in store.artifacts.iter_refs():
        report.scanned += 1
        if ref.sha256 in keep:
            report.kept += 1
        else:
            unreferenced.append(ref)
    if dry_run or not unreferenced:
        report.removed = unreferenced
        return report
    keep = referenced_artifacts(store)  # again: a reference written meanwhile wins
    for ref in unreferenced:
        if ref.sha256 in keep:
            report.kept += 1
            continue
        try:
            store.artifacts.delete(ref.sha256)
            report.removed.append(ref)
        except NotFound:
            pass  # removed by someone else meanwhile
        if progress is not None:
            progress("gc", 1, len(unreferenced))
    return report
