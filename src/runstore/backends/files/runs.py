"""Runs as JSON files: ``runs/<run id>.json`` holds the run, its tasks and its attempts.

Each write replaces the run's file atomically under the run's file lock; claims also
hold the ``runs.claim`` lock, so workers in several processes never lease one task
twice. ``runs-index/<task|attempt>/<id>`` names the run that holds a task or attempt.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from runstore.backends._shared.run_documents import (
    DocumentRunRepository,
    IndexKind,
    RunDocument,
)
from runstore.backends._shared.run_transfer import DocumentRunTransfer
from runstore.backends.files.atomic import atomic_write
from runstore.backends.files.layout import FileLayout
from runstore.errors import CorruptRecord
from runstore.models.common import ID_PATTERN
from runstore.models.runs import Attempt, Run, Task

__all__ = ["FileRunDocuments", "FileRunRepository"]


class FileRunDocuments:
    """Run documents as JSON files in ``ROOT/runs``."""

    def __init__(self, layout: FileLayout) -> None:
        self._layout = layout
        self._root = layout.root / "runs"
        self._index = layout.root / "runs-index"

    def exclusive(self, name: str) -> AbstractContextManager[None]:
        return self._layout.lock(f"runs:{name}")

    def path(self, run_id: str) -> Path:
        return self._root / f"{run_id}.json"

    def load(self, run_id: str) -> RunDocument | None:
        path = self.path(run_id)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CorruptRecord(str(path), f"unreadable ({exc})") from exc
        return _parse(path, run_id, data)

    def save(self, document: RunDocument) -> None:
        body: dict[str, Any] = {
            "run": document.run.model_dump(mode="json"),
            "tasks": [task.model_dump(mode="json") for task in document.tasks.values()],
            "attempts": [a.model_dump(mode="json") for a in document.attempts.values()],
        }
        atomic_write(self.path(document.run.id), orjson.dumps(body, option=orjson.OPT_INDENT_2),
                     durable=self._layout.durable)

    def remove(self, run_id: str) -> None:
        self.path(run_id).unlink(missing_ok=True)

    def run_ids(self) -> list[str]:
        if not self._root.is_dir():
            return []
        names = (entry.name[:-5] for entry in self._root.iterdir()
                 if entry.name.endswith(".json"))
        return sorted(name for name in names if ID_PATTERN.fullmatch(name))

    def locate(self, kind: IndexKind, key: str) -> str | None:
        try:
            found = (self._index / kind / key).read_text(encoding="utf-8").strip()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return found if ID_PATTERN.fullmatch(found) else None

    def index(self, kind: IndexKind, key: str, run_id: str) -> None:
        atomic_write(self._index / kind / key, run_id.encode(), durable=self._layout.durable)

    def unindex(self, kind: IndexKind, key: str) -> None:
        (self._index / kind / key).unlink(missing_ok=True)

    def count(self) -> int:
        return len(self.run_ids())


def _parse(path: Path, run_id: str, data: bytes) -> RunDocument:
    try:
        body = orjson.loads(data)
        run = Run.model_validate(body["run"])
        tasks = [Task.model_validate(item) for item in body["tasks"]]
        attempts = [Attempt.model_validate(item) for item in body["attempts"]]
    except (orjson.JSONDecodeError, ValidationError, KeyError, TypeError) as exc:
        raise CorruptRecord(str(path), f"not a run document ({type(exc).__name__}: {exc})") \
            from exc
    if run.id != run_id:
        raise CorruptRecord(str(path), "run id does not match the file name")
    return RunDocument(run, {t.id: t for t in tasks}, {a.id: a for a in attempts})


class FileRunRepository(DocumentRunTransfer, DocumentRunRepository):
    """The runs repository of ``file://``."""

    def __init__(self, layout: FileLayout) -> None:
        self.documents = FileRunDocuments(layout)
        super().__init__(self.documents)

    def count(self) -> int:
        """How many runs are stored."""
        return self.documents.count()
