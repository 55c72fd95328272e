"""The folder layout of a files store, its manifest and its locks."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Final

from runstore.backends._shared.locks import file_lock
from runstore.backends.files.atomic import atomic_write
from runstore.errors import CorruptRecord, SchemaMismatch
from runstore.services.doctor import quarantine_path

__all__ = ["FORMAT_STEPS", "FORMAT_VERSION", "FileLayout"]

FORMAT_VERSION: Final = 1
# Named upgrade steps, in order; the manifest records those applied.
FORMAT_STEPS: Final[tuple[str, ...]] = ("0001_initial",)


class FileLayout:
    """Paths of one files store::

        ROOT/manifest.json          format version and applied upgrade steps
        ROOT/quarantine/            damaged files moved aside by ``runstore doctor --repair``
        ROOT/.locks/                lock files (safe to delete when nothing runs)
        ROOT/workflows/<id>/vN.yaml one file per workflow version
    """

    def __init__(self, root: Path, *, durable: bool = True) -> None:
        self.root = root
        self.durable = durable
        self.manifest_path = root / "manifest.json"
        self.locks = root / ".locks"

    def lock(self, name: str, timeout: float | None = None) -> AbstractContextManager[None]:
        return file_lock(self.locks, name, timeout)

    def quarantine(self, damaged: Path) -> str:
        """Move a damaged file under ``ROOT/quarantine/`` (same relative path); says where."""
        target = quarantine_path(self.root, damaged)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(damaged, target)
        return f"moved to {target}"

    def read_manifest(self) -> dict[str, object] | None:
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise CorruptRecord(str(self.manifest_path), f"unreadable manifest ({exc})") from exc
        if not isinstance(data, dict):
            raise CorruptRecord(str(self.manifest_path), "expected a JSON object")
        return data

    def initialize_or_check(self, url: str) -> None:
        """Create the manifest in an empty folder, else check its format version."""
        with self.lock("runstore.manifest"):
            manifest = self.read_manifest()
            if manifest is None:
                self.write_manifest(list(FORMAT_STEPS))
                return
        found = manifest.get("format_version")
        if found != FORMAT_VERSION:
            older = isinstance(found, int) and found < FORMAT_VERSION
            raise SchemaMismatch(
                url, str(found), str(FORMAT_VERSION),
                f"run 'runstore upgrade {url}'" if older else "upgrade runstore to read it",
            )

    def upgrade(self) -> tuple[str | None, str]:
        """Apply the named upgrade steps not yet in the manifest; returns (from, to)."""
        with self.lock("runstore.manifest"):
            manifest = self.read_manifest()
            found = None if manifest is None else manifest.get("format_version")
            if isinstance(found, int) and found > FORMAT_VERSION:
                raise SchemaMismatch(str(self.root), str(found), str(FORMAT_VERSION),
                                     "upgrade runstore to read it")
            steps = None if manifest is None else manifest.get("steps")
            applied = [s for s in steps if isinstance(s, str)] if isinstance(steps, list) else []
            for step in FORMAT_STEPS:
                if step not in applied:
                    _STEP_FUNCTIONS.get(step, _nothing)(self)
                    applied.append(step)
            self.write_manifest(applied)
        return (None if found is None else str(found)), str(FORMAT_VERSION)

    def write_manifest(self, steps: list[str]) -> None:
        body = {"format": "runstore-files", "format_version": FORMAT_VERSION, "steps": steps}
        atomic_write(self.manifest_path, (json.dumps(body, indent=2) + "\n").encode(),
                     durable=self.durable)


def _nothing(layout: FileLayout) -> None:
    """A step that only records the format (the initial layout needs no change)."""


# Step name -> function that rewrites files from the previous format to the next.
_STEP_FUNCTIONS: dict[str, Callable[[FileLayout], None]] = {}
