"""Metrics on SQL: aggregate rows rewritten under a row lock in the recording transaction."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import orjson
import sqlalchemy as sa

from runstore.backends._shared.metrics import (
    as_metric,
    as_pattern,
    bucket_keys,
    check_version,
    check_workflow,
    dump_aggregate,
    load_aggregate,
    summary_of,
    trend_of,
)
from runstore.backends.sql.repositories.metric_transfer import SqlMetricsTransfer
from runstore.backends.sql.schema import metric_aggregates, metric_patterns
from runstore.errors import AlreadyExists, Conflict
from runstore.models.metrics import ExecutionMetric, MetricSummary, Pattern, TrendBucket
from runstore.services.metrics import ALL, Aggregate

if TYPE_CHECKING:
    from runstore.backends.sql.backend import SqlBackend

__all__ = ["SqlMetricsRepository"]

_ATTEMPTS: Final = 8


def _pattern(row: sa.Row[Any]) -> Pattern:
    return Pattern.model_construct(
        id=row.id, workflow_id=row.workflow_id, workflow_version=row.workflow_version,
        kind=row.kind, description=row.description, evidence=orjson.loads(row.evidence),
        confidence=row.confidence, detected_at=row.detected_at)


class SqlMetricsRepository(SqlMetricsTransfer):
    """``record_execution`` locks the version's ``'all'`` and day rows (FOR UPDATE where
    the dialect has row locks, else SQLite's IMMEDIATE transaction or DuckDB's single
    connection serialize writers), merges the execution in, and writes them back."""

    def __init__(self, backend: SqlBackend) -> None:
        self._backend = backend

    def record_execution(self, metric: ExecutionMetric | Mapping[str, Any]) -> None:
        execution = as_metric(metric)
        a = metric_aggregates.c
        for _ in range(_ATTEMPTS):
            try:
                with self._backend.connect() as conn:
                    for bucket in bucket_keys(execution):
                        key = (a.workflow_id == execution.workflow_id,
                               a.workflow_version == execution.workflow_version,
                               a.bucket == bucket)
                        query = sa.select(a.data).where(*key)
                        if self._backend.support.row_locks:
                            query = query.with_for_update()
                        stored = conn.execute(query).scalar()
                        aggregate = (Aggregate() if stored is None else load_aggregate(
                            stored, f"metric_aggregates({execution.workflow_id!r}, "
                                    f"{execution.workflow_version}, {bucket!r})"))
                        aggregate.add(execution)
                        values = {"count": aggregate.count, "data": dump_aggregate(aggregate)}
                        if stored is None:
                            conn.execute(metric_aggregates.insert().values(
                                workflow_id=execution.workflow_id,
                                workflow_version=execution.workflow_version, bucket=bucket,
                                **values))
                        else:
                            conn.execute(metric_aggregates.update().where(*key).values(**values))
                return
            except AlreadyExists as exc:
                # Another recorder created the row first: retry (the row now exists).
                if self._backend.in_transaction:
                    raise Conflict(f"metrics of {execution.workflow_id!r} were recorded "
                                   "concurrently; retry the transaction") from exc
        raise Conflict(f"metrics of {execution.workflow_id!r}: too many concurrent recorders")

    def get_summary(self, workflow_id: str, version: int | None = None) -> MetricSummary:
        return summary_of(workflow_id, version,
                          (agg for _, agg in self._select(workflow_id, version, daily=False)))

    def get_trend(self, workflow_id: str, version: int | None = None,
                  bucket: str = "day") -> builtins.list[TrendBucket]:
        return trend_of(workflow_id, version, self._select(workflow_id, version, daily=True),
                        bucket)

    def record_pattern(self, pattern: Pattern | Mapping[str, Any]) -> Pattern:
        stored = as_pattern(pattern)
        try:
            with self._backend.connect() as conn:
                conn.execute(metric_patterns.insert().values(
                    id=stored.id, workflow_id=stored.workflow_id,
                    workflow_version=stored.workflow_version, kind=stored.kind,
                    description=stored.description,
                    evidence=orjson.dumps(stored.evidence).decode(),
                    confidence=stored.confidence, detected_at=stored.detected_at))
        except AlreadyExists as exc:
            raise AlreadyExists("pattern", stored.id) from exc
        return stored

    def get_patterns(self, workflow_id: str, kind: str | None = None) -> builtins.list[Pattern]:
        check_workflow(workflow_id)
        p = metric_patterns.c
        query = sa.select(metric_patterns).where(p.workflow_id == workflow_id)
        if kind is not None:
            query = query.where(p.kind == kind)
        with self._backend.connect(write=False) as conn:
            rows = conn.execute(query.order_by(p.detected_at.desc(), p.id.desc())).all()
        return [_pattern(row) for row in rows]

    def _select(self, workflow_id: str, version: int | None,
                *, daily: bool) -> builtins.list[tuple[str, Aggregate]]:
        check_workflow(workflow_id)
        check_version(version)
        a = metric_aggregates.c
        query = sa.select(a.workflow_version, a.bucket, a.data).where(
            a.workflow_id == workflow_id, a.bucket != ALL if daily else a.bucket == ALL)
        if version is not None:
            query = query.where(a.workflow_version == version)
        with self._backend.connect(write=False) as conn:
            rows = conn.execute(query.order_by(a.workflow_version, a.bucket)).all()
        return [(row.bucket, load_aggregate(row.data, f"metric_aggregates({workflow_id!r}, "
                                                      f"{row.workflow_version}, {row.bucket!r})"))
                for row in rows]
