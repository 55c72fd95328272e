"""``runstore gc``: remove the blobs that no result and no attachment refers to any more.

Written only against ports. The blobs of ``store.artifacts`` are kept when a stored
result (a value too large to keep inline) or a conversation attachment record refers to
them; every other blob goes, including blobs put directly with ``store.artifacts.put``
whose refs the caller keeps elsewhere.

Writers store a blob first and the record that refers to it after, so gc keeps every
blob stored (or stored again: a put of the same bytes renews it) within its grace
period, one hour unless told otherwise: a writer that is between the two steps loses
nothing. References are collected twice, before and after the blobs are listed, and a
blob's time is read again just before it is deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from runstore.errors import NotFound
from runstore.models.artifacts import ArtifactRef
from runstore.models.common import ensure_utc, utcnow
from runstore.services.archive import optional
from runstore.services.retention import parse_duration
from runstore.services.transfer import Progress
from runstore.store import Store

__all__ = ["DEFAULT_GRACE", "GcReport", "gc", "referenced_artifacts"]

DEFAULT_GRACE: Final = timedelta(hours=1)


@dataclass(slots=True)
class GcReport:
    """What ``gc`` found: blobs scanned, kept because something refers to them, kept
    because they were stored within the grace period (``recent``), and removed (or, on
    a dry run, would be)."""

    dry_run: bool
    scanned: int = 0
    kept: int = 0
    recent: int = 0
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


def gc(store: Store, *, grace: timedelta | str = DEFAULT_GRACE, dry_run: bool = False,
       progress: Progress | None = None, now: datetime | None = None) -> GcReport:
    """Delete the blobs of ``store.artifacts`` that nothing refers to and that were not
    stored within ``grace`` (``"1h"``, ``"30m"``, ``"0s"``...) before ``now``; see the
    module."""
    cutoff = (utcnow() if now is None else ensure_utc(now)) - parse_duration(grace)
    report = GcReport(dry_run=dry_run)
    keep = referenced_artifacts(store)
    unreferenced: list[ArtifactRef] = []
    for ref in store.artifacts.iter_refs():
        report.scanned += 1
        if ref.sha256 in keep:
            report.kept += 1
        else:
            unreferenced.append(ref)
    if unreferenced and not dry_run:
        keep = referenced_artifacts(store)  # again: a reference written meanwhile wins
    for ref in unreferenced:
        try:
            if ref.sha256 in keep:
                report.kept += 1
            elif store.artifacts.stored_at(ref.sha256) > cutoff:
                report.recent += 1
            else:
                if not dry_run:
                    store.artifacts.delete(ref.sha256)
                report.removed.append(ref)
        except NotFound:
            pass  # removed by someone else meanwhile
        if progress is not None and not dry_run:
            progress("gc", 1, len(unreferenced))
    return report
