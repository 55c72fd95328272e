"""Workflows as one human-readable YAML file per version: ``workflows/<id>/v<N>.yaml``."""

from __future__ import annotations

import builtins
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from runstore.backends._shared.transfer import as_records, check_record_type
from runstore.backends._shared.workflows import (
    check_version,
    highest_versions,
    next_version,
    not_found,
    prepare,
)
from runstore.backends.files.atomic import atomic_write
from runstore.backends.files.layout import FileLayout
from runstore.errors import CorruptRecord
from runstore.models.common import JsonValue, content_hash, validate_id
from runstore.models.workflows import Workflow
from runstore.ports.health import Finding

__all__ = ["FileWorkflowRepository"]

_VERSION_FILE = re.compile(r"^v([1-9][0-9]*)\.yaml$")
_HEAD = "HEAD"

_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FileWorkflowRepository:
    """Each version is a YAML file written atomically; a per-id file lock serializes
    writers across processes; ``HEAD`` keeps the last version ever assigned."""

    def __init__(self, layout: FileLayout) -> None:
        self._layout = layout
        self._root = layout.root / "workflows"

    def store(
        self,
        workflow_id: str,
        definition: Mapping[str, JsonValue],
        *,
        parent_version: int | None = None,
        message: str | None = None,
    ) -> Workflow:
        prepared = prepare(workflow_id, definition)
        folder = self._root / workflow_id
        with self._layout.lock(f"workflow:{workflow_id}"):
            versions = self._versions(folder)
            latest = self._read_latest(folder, versions)
            record = next_version(
                prepared,
                latest=latest,
                last_assigned=self._head(folder),
                parent_version=parent_version,
                message=message,
                version_exists=lambda v: v in versions,
            )
            if record is None:
                assert latest is not None
                return latest
            atomic_write(self._path(folder, record.version), _dump(record),
                         durable=self._layout.durable)
            atomic_write(folder / _HEAD, f"{record.version}\n".encode(),
                         durable=self._layout.durable)
            return record

    def get(self, workflow_id: str, version: int) -> Workflow:
        validate_id(workflow_id, what="workflow id")
        check_version(version)
        path = self._path(self._root / workflow_id, version)
        if not path.exists():
            raise not_found(workflow_id, version)
        return _load(path, workflow_id, version)

    def get_latest(self, workflow_id: str) -> Workflow:
        validate_id(workflow_id, what="workflow id")
        folder = self._root / workflow_id
        latest = self._read_latest(folder, self._versions(folder))
        if latest is None:
            raise not_found(workflow_id)
        return latest

    def list(self, workflow_id: str) -> builtins.list[Workflow]:
        validate_id(workflow_id, what="workflow id")
        folder = self._root / workflow_id
        return [_load(self._path(folder, v), workflow_id, v) for v in self._versions(folder)]

    def list_all(self) -> builtins.list[Workflow]:
        if not self._root.is_dir():
            return []
        found: builtins.list[Workflow] = []
        for folder in sorted(self._root.iterdir(), key=lambda p: p.name):
            if not folder.is_dir() or folder.name.startswith("."):
                continue
            versions = self._versions(folder)
            for version in reversed(versions):
                try:
                    found.append(_load(self._path(folder, version), folder.name, version))
                    break
                except CorruptRecord as exc:
                    warnings.warn(f"skipping {exc}", stacklevel=2)
                    break
        return found

    def delete(self, workflow_id: str, version: int) -> None:
        validate_id(workflow_id, what="workflow id")
        check_version(version)
        folder = self._root / workflow_id
        with self._layout.lock(f"workflow:{workflow_id}"):
            path = self._path(folder, version)
            if not path.exists():
                raise not_found(workflow_id, version)
            path.unlink()

    def count(self) -> int:
        if not self._root.is_dir():
            return 0
        return sum(len(self._versions(folder)) for folder in self._root.iterdir()
                   if folder.is_dir())

    def check(self, *, repair: bool) -> builtins.list[Finding]:
        """Every version file that does not parse or whose hash does not match."""
        findings: builtins.list[Finding] = []
        if not self._root.is_dir():
            return findings
        for folder in sorted(p for p in self._root.iterdir() if p.is_dir()):
            for version in self._versions(folder):
                path = self._path(folder, version)
                try:
                    _load(path, folder.name, version)
                except CorruptRecord as exc:
                    action = self._layout.quarantine(path) if repair else ""
                    findings.append(Finding(str(path), exc.reason,
                                            lost=f"workflow {folder.name!r} version {version}",
                                            action=action))
        return findings

    # -- transfer port ------------------------------------------------------------------

    def record_types(self) -> tuple[str, ...]:
        return ("workflows",)

    def count_records(self, record_type: str) -> int:
        check_record_type(self, record_type)
        return self.count()

    def export_records(self, record_type: str, *,
                       batch_size: int = 1000) -> Iterator[builtins.list[BaseModel]]:
        check_record_type(self, record_type)
        batch: builtins.list[BaseModel] = []
        folders = sorted(self._root.iterdir(), key=lambda p: p.name) if self._root.is_dir() else []
        for folder in folders:
            if not folder.is_dir() or folder.name.startswith("."):
                continue
            for version in self._versions(folder):
                batch.append(_load(self._path(folder, version), folder.name, version))
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
        if batch:
            yield batch

    def import_records(self, record_type: str, records: Sequence[BaseModel]) -> int:
        check_record_type(self, record_type)
        versions = as_records(Workflow, records)
        written = 0
        for workflow_id, top in highest_versions(versions).items():
            folder = self._root / workflow_id
            with self._layout.lock(f"workflow:{workflow_id}"):
                for record in versions:
                    path = self._path(folder, record.version)
                    if record.id == workflow_id and not path.exists():
                        atomic_write(path, _dump(record), durable=self._layout.durable)
                        written += 1
                if self._head(folder) < top:
                    atomic_write(folder / _HEAD, f"{top}\n".encode(),
                                 durable=self._layout.durable)
        return written

    @staticmethod
    def _path(folder: Path, version: int) -> Path:
        return folder / f"v{version}.yaml"

    @staticmethod
    def _versions(folder: Path) -> builtins.list[int]:
        if not folder.is_dir():
            return []
        numbers = (_VERSION_FILE.match(entry.name) for entry in folder.iterdir())
        return sorted(int(match.group(1)) for match in numbers if match)

    def _head(self, folder: Path) -> int:
        try:
            return int((folder / _HEAD).read_text().strip())
        except (OSError, ValueError):
            return 0

    def _read_latest(self, folder: Path, versions: builtins.list[int]) -> Workflow | None:
        if not versions:
            return None
        return _load(self._path(folder, versions[-1]), folder.name, versions[-1])


def _dump(record: Workflow) -> bytes:
    document: dict[str, Any] = {
        "id": record.id,
        "version": record.version,
        "parent_version": record.parent_version,
        "message": record.message,
        "created_at": record.created_at.isoformat(),
        "content_hash": record.content_hash,
        "definition": record.definition,
    }
    text: str = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                          default_flow_style=False)
    return text.encode("utf-8")


def _load(path: Path, workflow_id: str, version: int) -> Workflow:
    try:
        document = yaml.load(path.read_bytes(), Loader=_Loader)
    except FileNotFoundError:
        raise not_found(workflow_id, version) from None
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CorruptRecord(str(path), f"cannot read YAML ({exc.__class__.__name__}: {exc})") \
            from exc
    if not isinstance(document, dict):
        raise CorruptRecord(str(path), "expected a YAML mapping")
    if document.get("id") != workflow_id or document.get("version") != version:
        raise CorruptRecord(str(path), "id or version does not match the file name")
    created = document.get("created_at")
    if isinstance(created, str):
        try:
            document["created_at"] = datetime.fromisoformat(created)
        except ValueError as exc:
            raise CorruptRecord(str(path), f"bad created_at {created!r}") from exc
    try:
        record = Workflow.model_validate(document)
    except ValidationError as exc:
        raise CorruptRecord(str(path), f"invalid record ({exc.errors()[0]['msg']})") from exc
    try:
        actual = content_hash(record.definition)
    except Exception as exc:
        raise CorruptRecord(str(path), f"definition is not JSON ({exc})") from exc
    if actual != record.content_hash:
        raise CorruptRecord(
            str(path), "definition does not match its content_hash (edited on disk?)"
        )
    return record
