"""``runstore.prune`` and ``runstore.gc``: retention services that may open a store by URL."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from runstore.registry.open import open as open_store
from runstore.services import gc as gc_service
from runstore.services import retention
from runstore.services.gc import GcReport
from runstore.services.retention import PruneReport, RetentionPolicy
from runstore.services.transfer import Progress
from runstore.store import Store

__all__ = ["gc", "prune"]


def prune(store: Store, policy: RetentionPolicy | Mapping[str, Any], *,
          now: datetime | None = None, progress: Progress | None = None) -> PruneReport:
    """Delete the finished runs ``policy`` lets go, with their tasks, attempts, logs and
    linked conversations; with ``archive_to`` (a URL, opened here, or a Store), copy and
    verify them there first. ``policy`` is a :class:`RetentionPolicy` or a dict of its
    fields (``{"older_than": "30d", "keep_last": 10}``).

    Returns a :class:`PruneReport`: the runs (``run_ids``), deleted records per
    repository (``counts``), archived records per type. ``dry_run`` changes nothing.
    """
    return retention.prune(store, policy, now=now, progress=progress, opener=open_store)


def gc(store: Store, *, grace: timedelta | str = gc_service.DEFAULT_GRACE,
       dry_run: bool = False, progress: Progress | None = None,
       now: datetime | None = None) -> GcReport:
    """Delete the blobs of ``store.artifacts`` no result or attachment refers to, but
    those stored within ``grace`` (default one hour) before ``now``: a writer stores a
    blob before the record that refers to it. Returns a :class:`GcReport`."""
    return gc_service.gc(store, grace=grace, dry_run=dry_run, progress=progress, now=now)
