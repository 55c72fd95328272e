"""``runstore.open`` and ``runstore.open_config``."""

from __future__ import annotations

import os

from runstore.errors import RunstoreError, UnsupportedOperation
from runstore.ports.health import Finding
from runstore.ports.store import Backend
from runstore.registry.backends import load_backend
from runstore.registry.config import StoreConfig, load_config, resolve_default_url
from runstore.registry.url import StoreURL
from runstore.services.doctor import DoctorReport
from runstore.store import Store

__all__ = ["doctor", "open", "open_backend", "open_config", "upgrade"]


def open_backend(url: str | StoreURL, **options: object) -> Backend:
    """Open one backend for ``url`` (lower level than :func:`open`)."""
    parsed = StoreURL.parse(url)
    return load_backend(parsed).open(parsed, **options)


def open(url: str | None = None, **options: object) -> Store:
    """Open a store.

    With no URL, uses ``$RUNSTORE_URL``, else ``sqlite:///./.runstore/runstore.db``
    (its folder is created). Raises ``BackendUnavailable`` for an unknown scheme or an
    unreachable server, and ``SchemaMismatch`` when the database needs an upgrade.
    """
    return Store(open_backend(resolve_default_url(url), **options))


def open_config(path: str | os.PathLike[str] | StoreConfig) -> Store:
    """Open a store from a YAML file mapping repositories to URLs (see ``StoreConfig``).

    Repositories that name the same URL share one backend, so a transaction can span them.
    """
    config = path if isinstance(path, StoreConfig) else load_config(path)
    opened: dict[str, Backend] = {}

    def backend(url: str) -> Backend:
        if url not in opened:
            parsed = StoreURL.parse(url)
            opened[url] = open_backend(parsed, **config.backend_options(parsed.backend))
        return opened[url]

    try:
        default = backend(config.default)
        overrides = {name: backend(url) for name, url in config.repositories.items()}
        return Store(default, overrides)
    except RunstoreError:
        for handle in opened.values():
            handle.close()
        raise


def upgrade(url: str | StoreURL, **options: object) -> tuple[str | None, str]:
    """Upgrade the store at ``url`` in place to this runstore's schema.

    Returns the (from, to) schema revisions; a store already current is left as is.
    """
    parsed = StoreURL.parse(url)
    factory = load_backend(parsed)
    upgrader = getattr(factory, "upgrade", None)
    if upgrader is None:
        raise UnsupportedOperation(f"backend for {parsed} has no upgrade step")
    result: tuple[str | None, str] = upgrader(parsed, **options)
    return result


def doctor(url: str | StoreURL, *, repair: bool = False) -> DoctorReport:
    """Check the store at ``url`` for damage; with ``repair``, quarantine what is damaged.

    The backend checks its own files or tables first (a store too damaged to open
    normally is checked too), then every blob is read and checked against its sha256.
    ``report.healthy`` is true when nothing was found.
    """
    parsed = StoreURL.parse(url)
    checker = getattr(load_backend(parsed), "check", None)
    if checker is None:
        raise UnsupportedOperation(f"{parsed}: this backend has no integrity check")
    from runstore.services.blob_check import BlobCheck, check_blobs

    findings: list[Finding] = checker(parsed, repair=repair)
    try:
        with Store(open_backend(parsed)) as store:
            blobs = check_blobs(store, repair=repair)
    except RunstoreError as exc:
        blobs = BlobCheck(findings=[Finding(parsed.render(), f"blobs not checked: {exc}")])
    seen = {finding.location for finding in findings}
    findings += [f for f in blobs.findings if f.location not in seen]
    return DoctorReport(parsed.render(), findings, repaired=repair and bool(findings),
                        blobs_checked=blobs.checked)
