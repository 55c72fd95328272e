"""Metrics as JSON files: ``metrics/<workflow_id>/v<N>.json`` holds the version's
aggregates (``all`` and one per UTC day), rewritten atomically under a per-workflow file
lock; ``metrics/<workflow_id>/patterns/<id>.json`` holds one finding each."""

from __future__ import annotations

import builtins
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import orjson
from pydantic import ValidationError

from runstore.backends._shared.metrics import (
    as_metric,
    as_pattern,
    bucket_keys,
    check_version,
    check_workflow,
    summary_of,
    trend_of,
)
from runstore.backends.files.atomic import atomic_write
from runstore.backends.files.layout import FileLayout
from runstore.backends.files.transfer import FileMetricsTransfer
from runstore.errors import AlreadyExists, CorruptRecord, InvalidInput
from runstore.models.metrics import ExecutionMetric, MetricSummary, Pattern, TrendBucket
from runstore.services.metrics import ALL, Aggregate

__all__ = ["FileMetricsRepository"]

_VERSION_FILE: Final = re.compile(r"^v([1-9][0-9]*)\.json$")


class FileMetricsRepository(FileMetricsTransfer):
    """Per-version aggregate files; read-modify-write under ``metrics:<workflow>``."""

    def __init__(self, layout: FileLayout) -> None:
        self._layout = layout
        self._root = layout.root / "metrics"

    def record_execution(self, metric: ExecutionMetric | Mapping[str, Any]) -> None:
        execution = as_metric(metric)
        path = self._root / execution.workflow_id / f"v{execution.workflow_version}.json"
        with self._layout.lock(f"metrics:{execution.workflow_id}"):
            buckets = self._read(path)
            for bucket in bucket_keys(execution):
                buckets.setdefault(bucket, Aggregate()).add(execution)
            body = {key: aggregate.to_dict() for key, aggregate in sorted(buckets.items())}
            atomic_write(path, orjson.dumps(body) + b"\n", durable=self._layout.durable)

    def get_summary(self, workflow_id: str, version: int | None = None) -> MetricSummary:
        return summary_of(workflow_id, version,
                          (agg for key, agg in self._select(workflow_id, version) if key == ALL))

    def get_trend(self, workflow_id: str, version: int | None = None,
                  bucket: str = "day") -> builtins.list[TrendBucket]:
        return trend_of(workflow_id, version,
                        [(key, agg) for key, agg in self._select(workflow_id, version)
                         if key != ALL], bucket)

    def record_pattern(self, pattern: Pattern | Mapping[str, Any]) -> Pattern:
        stored = as_pattern(pattern)
        path = self._root / stored.workflow_id / "patterns" / f"{stored.id}.json"
        with self._layout.lock(f"metrics:{stored.workflow_id}"):
            if path.exists():
                raise AlreadyExists("pattern", stored.id)
            atomic_write(path, orjson.dumps(stored.model_dump(mode="json"),
                                            option=orjson.OPT_INDENT_2) + b"\n",
                         durable=self._layout.durable)
        return stored

    def get_patterns(self, workflow_id: str, kind: str | None = None) -> builtins.list[Pattern]:
        check_workflow(workflow_id)
        folder = self._root / workflow_id / "patterns"
        found: builtins.list[Pattern] = []
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                found.append(Pattern.model_validate(orjson.loads(path.read_bytes())))
            except (OSError, orjson.JSONDecodeError, ValidationError) as exc:
                warnings.warn(f"skipping {path}: unreadable pattern ({exc})", stacklevel=2)
        return sorted((p for p in found if kind is None or p.kind == kind),
                      key=lambda p: (p.detected_at, p.id), reverse=True)

    def _select(self, workflow_id: str,
                version: int | None) -> builtins.list[tuple[str, Aggregate]]:
        check_workflow(workflow_id)
        check_version(version)
        folder = self._root / workflow_id
        if version is not None:
            paths = [folder / f"v{version}.json"]
        elif folder.is_dir():
            paths = sorted(p for p in folder.iterdir() if _VERSION_FILE.match(p.name))
        else:
            paths = []
        return [item for path in paths for item in self._read(path).items()]

    @staticmethod
    def _read(path: Path) -> dict[str, Aggregate]:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return {}
        try:
            body = orjson.loads(raw)
            return {str(key): Aggregate.from_dict(value) for key, value in body.items()}
        except (orjson.JSONDecodeError, AttributeError, InvalidInput) as exc:
            raise CorruptRecord(str(path), f"unreadable metrics aggregates ({exc})") from exc
