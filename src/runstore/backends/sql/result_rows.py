"""Rows of the ``results`` table and the records they hold."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import orjson

from runstore.backends._shared.results import dumps_json
from runstore.models.artifacts import ArtifactRef
from runstore.models.results import ResultError, ResultRecord, ResultStatus

__all__ = ["STATUS", "record_from_row", "row_from_record"]

STATUS: Final = {status.value: status for status in ResultStatus}


def row_from_record(record: ResultRecord, inline: bytes | None) -> dict[str, Any]:
    return {
        "key": record.key,
        "status": record.status.value,
        "serializer": record.serializer,
        "size": record.size,
        "content_hash": record.content_hash,
        "value": inline,
        "artifact_sha256": record.artifact.sha256 if record.artifact else None,
        "artifact_media_type": record.artifact.media_type if record.artifact else None,
        "error": dumps_json(record.error.model_dump()) if record.error else None,
        "metadata": dumps_json(record.metadata),
        "created_at": record.created_at,
    }


def record_from_row(row: Mapping[str, Any]) -> ResultRecord:
    """A record from a trusted row (no validation: the row was validated when written)."""
    artifact = None
    if row["artifact_sha256"] is not None:
        artifact = ArtifactRef.model_construct(sha256=row["artifact_sha256"], size=row["size"],
                                               media_type=row["artifact_media_type"])
    error = None
    if row["error"] is not None:
        error = ResultError.model_construct(**orjson.loads(row["error"]))
    return ResultRecord.trusted({
        "key": row["key"], "status": STATUS[row["status"]],
        "serializer": row["serializer"], "size": row["size"],
        "content_hash": row["content_hash"], "artifact": artifact, "error": error,
        "metadata": orjson.loads(row["metadata"]), "created_at": row["created_at"],
    })
