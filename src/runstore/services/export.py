"""Export every record type of a store as tables for SQL and notebooks (Parquet or DuckDB).

Written against the transfer port: one table per record type, named
after the record type (``workflows``, ``runs``, ``tasks``, ``log_events``...). Nested
JSON fields become JSON text columns; times stay timestamps (UTC).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel

from runstore.errors import InvalidInput, UnsupportedOperation
from runstore.services.transfer import Progress, transferable_repositories
from runstore.store import Store

__all__ = ["export_store"]


def _flat(record: BaseModel) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for key, value in record.model_dump().items():
        if isinstance(value, dict | list | tuple):
            row[key] = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
        elif isinstance(value, datetime | str | int | float | bool | bytes) or value is None:
            row[key] = value
        else:
            row[key] = str(value)
    return row


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
                table = pa.Table.from_pylist([_flat(r) for r in batch])
                if writer is None:
                    writer = pq.ParquetWriter(path / f"{name}.parquet", table.schema)
                writer.write_table(table.cast(writer.schema))
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
                arrow_batch = pa.Table.from_pylist([_flat(r) for r in batch])  # noqa: F841
                if count == 0:
                    conn.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM arrow_batch')
                else:
                    conn.execute(f'INSERT INTO "{name}" SELECT * FROM arrow_batch')
                count += len(batch)
                if progress is not None:
                    progress(name, len(batch), total)
            written[name] = count
    return written
