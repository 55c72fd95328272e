"""What every backend's metrics transfer shares: record types and the stored aggregate
in its canonical form (so the same aggregate compares equal whatever stored it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import orjson

from runstore.backends._shared.metrics import load_aggregate
from runstore.errors import CorruptRecord, InvalidInput
from runstore.models.transfer import MetricAggregate
from runstore.services.metrics import Aggregate

__all__ = ["METRIC_RECORD_TYPES", "aggregate_record", "aggregate_text"]

METRIC_RECORD_TYPES: Final = ("metric_aggregates", "metric_patterns")


def aggregate_record(workflow_id: str, version: int, bucket: str,
                     stored: str | bytes | Mapping[str, Any]) -> MetricAggregate:
    """The transfer record of a stored aggregate (JSON text or its parsed form)."""
    where = f"metric_aggregates({workflow_id!r}, {version}, {bucket!r})"
    if isinstance(stored, Mapping):
        try:
            aggregate = Aggregate.from_dict(stored)
        except InvalidInput as exc:
            raise CorruptRecord(where, f"unreadable metrics aggregate ({exc})") from exc
    else:
        aggregate = load_aggregate(stored, where)
    data = orjson.loads(orjson.dumps(aggregate.to_dict()))
    return MetricAggregate.model_construct(workflow_id=workflow_id, workflow_version=version,
                                           bucket=bucket, count=aggregate.count, data=data)


def aggregate_text(record: MetricAggregate) -> str:
    """The stored JSON text of an imported aggregate (``InvalidInput`` when damaged)."""
    try:
        aggregate = Aggregate.from_dict(record.data)
    except InvalidInput as exc:
        raise InvalidInput(f"cannot import metric aggregate {record.workflow_id!r} version "
                           f"{record.workflow_version} bucket {record.bucket!r}: {exc}") from exc
    return orjson.dumps(aggregate.to_dict()).decode()
