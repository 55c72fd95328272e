"""Export every record type of a store as tables for SQL and notebooks (Parquet or DuckDB).

Written against the transfer port: one table per record type, named
after the record type (``workflows``, ``runs``, ``tasks``, ``log_events``,
``metric_aggregates``, ``results``, ``artifacts``...), with columns typed from the record
model. Nested JSON fields become JSON text columns; times stay timestamps (UTC); inline
result values are binary.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import UnionType
from typing import Any, Final, Union, get_args, get_origin

import orjson
from pydantic import BaseModel

from runstore.errors import InvalidInput, UnsupportedOperation
from runstore.services.transfer import Progress, transferable_repositories
from runstore.store import Store

__all__ = ["export_store"]


# How a field is written: as a scalar Arrow type, or as JSON text (objects, lists, nested
# records, and JSON values of any type, so one column never mixes types).
_SCALARS: Final[dict[type, str]] = {bool: "bool", int: "int64", float: "float64",
                                    str: "string", bytes: "binary", datetime: "timestamp"}


def _kind(annotation: Any) -> str:
    """``bool``, ``int64``, ``float64``, ``string``, ``binary``, ``timestamp`` or ``json``."""
    if get_origin(annotation) in (Union, UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        return _kind(members[0]) if len(members) == 1 else "json"
    if isinstance(annotation, type):
        for kind, name in _SCALARS.items():
            if issubclass(annotation, kind):  # StrEnum statuses and levels are strings
                return name
    return "json"


def _columns(model: type[BaseModel]) -> list[tuple[str, str]]:
    """``(field, kind)`` of every field of ``model``, in declaration order."""
    return [(name, _kind(field.annotation)) for name, field in model.model_fields.items()]


def _schema(pa: Any, columns: list[tuple[str, str]]) -> Any:
    types = {"bool": pa.bool_(), "int64": pa.int64(), "float64": pa.float64(),
             "string": pa.string(), "binary": pa.binary(), "json": pa.string(),
             "timestamp": pa.timestamp("us", tz="UTC")}
    return pa.schema([(name, types[kind]) for name, kind in columns])


def _flat(record: BaseModel, columns: list[tuple[str, str]]) -> dict[str, Any]:
    row = record.model_dump(mode="python")
    for name, kind in columns:
        value = row[name]
        if kind == "json" and value is not None:
            row[name] = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
        elif kind == "string" and value is not None:
            row[name] = str(value)
    return row


def _arrow_batch(pa: Any, batch: list[BaseModel]) -> Any:
    """One Arrow table for a batch, typed from the record model (not from the values,
    which may all be null in one batch and set in the next)."""
    columns = _columns(type(batch[0]))
    return pa.Table.from_pylist([_flat(r, columns) for r in batch],
                                schema=_schema(pa, columns))


def _tables(store: Store, batch_size: int) -> Iterator[tuple[str, int, Iterator[list[BaseModel]]]]:
    for _repository, source in transferable_repositories(store):
        for record_type in source.record_types():
            yield (record_type, source.count_records(record_type),
                   source.export_records(record_type, batch_size=batch_size))


def export_store(store: Store, target: str | Path, *, format: str | None = None,
                 batch_size: int = 10_000, progress: Progress | None = None) -> dict[str, int]:
    """Write each record type to ``target`` and return rows written per table.

    ``format="parquet"`` writes ``DIR/<table>.parquet`` (one file per table, written in
    row groups); ``format="duckdb"`` (or a target ending in ``.duckdb``) writes one DuckDB
    database with one table per record type.
    """
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - pyarrow is in the export extra
        raise UnsupportedOperation("export needs pyarrow: pip install 'runstore[arrow]'") from exc
    path = Path(target)
    kind = format or ("duckdb" if path.suffix == ".duckdb" else "parquet")
    if kind not in {"parquet", "duckdb"}:
        raise InvalidInput(f"unknown export format {kind!r}; use parquet or duckdb")
    written: dict[str, int] = {}
    if kind == "parquet":
        path.mkdir(parents=True, exist_ok=True)
        for name, total, batches in _tables(store, batch_size):
            writer = None
            count = 0
            for batch in batches:
                table = _arrow_batch(pa, batch)
                if writer is None:
                    writer = pq.ParquetWriter(path / f"{name}.parquet", table.schema)
                writer.write_table(table)
                count += len(batch)
                if progress is not None:
                    progress(name, len(batch), total)
            if writer is not None:
                writer.close()
            written[name] = count
        return written
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - duckdb is in the duckdb extra
        raise UnsupportedOperation("DuckDB export needs: pip install 'runstore[duckdb]'") from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as conn:
        for name, total, batches in _tables(store, batch_size):
            count = 0
            for batch in batches:
                arrow_batch = _arrow_batch(pa, batch)  # noqa: F841
                if count == 0:
                    conn.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM arrow_batch')
                else:
                    conn.execute(f'INSERT INTO "{name}" SELECT * FROM arrow_batch')
                count += len(batch)
                if progress is not None:
                    progress(name, len(batch), total)
            written[name] = count
    return written
