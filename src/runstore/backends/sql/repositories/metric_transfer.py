"""The transfer port of the SQL metrics repository: ``metric_aggregates`` (the stored
aggregates, sketch included, so summaries and trends of a copy equal the source's) and
``metric_patterns``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from pydantic import BaseModel

from runstore.backends._shared.metric_transfer import (
    METRIC_RECORD_TYPES,
    aggregate_record,
    aggregate_text,
)
from runstore.backends._shared.transfer import as_records, check_record_type
from runstore.backends.sql.schema import metric_aggregates, metric_patterns
from runstore.backends.sql.transfer import TableTransfer, import_missing
from runstore.models.metrics import Pattern
from runstore.models.transfer import MetricAggregate

__all__ = ["SqlMetricsTransfer"]


def _aggregate(row: sa.Row[Any]) -> MetricAggregate:
    return aggregate_record(row.workflow_id, row.workflow_version, row.bucket, row.data)


def _aggregate_row(record: MetricAggregate) -> dict[str, Any]:
    return {"workflow_id": record.workflow_id, "workflow_version": record.workflow_version,
            "bucket": record.bucket, "count": record.count, "data": aggregate_text(record)}


def _pattern(row: sa.Row[Any]) -> Pattern:
    return Pattern.model_construct(
        id=row.id, workflow_id=row.workflow_id, workflow_version=row.workflow_version,
        kind=row.kind, description=row.description, evidence=orjson.loads(row.evidence),
        confidence=row.confidence, detected_at=row.detected_at)


def _pattern_row(pattern: Pattern) -> dict[str, Any]:
    return {"id": pattern.id, "workflow_id": pattern.workflow_id,
            "workflow_version": pattern.workflow_version, "kind": pattern.kind,
            "description": pattern.description,
            "evidence": orjson.dumps(pattern.evidence).decode(),
            "confidence": pattern.confidence, "detected_at": pattern.detected_at}


class SqlMetricsTransfer(TableTransfer):
    """Bulk export and import of metric aggregates and patterns."""

    _transfer_tables = dict(zip(METRIC_RECORD_TYPES, [(metric_aggregates, _aggregate),
                                                      (metric_patterns, _pattern)], strict=True))

    def import_records(self, record_type: str, records: Sequence[BaseModel]) -> int:
        check_record_type(self, record_type)
        if record_type == "metric_aggregates":
            return import_missing(self._backend, metric_aggregates, [
                _aggregate_row(r) for r in as_records(MetricAggregate, records)])
        return import_missing(self._backend, metric_patterns,
                              [_pattern_row(r) for r in as_records(Pattern, records)])
