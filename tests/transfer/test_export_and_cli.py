"""``runstore export`` writes one typed table per record type of every repository, and
``runstore copy`` / ``verify`` on the command line cover every repository too."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import runstore
from runstore.cli.app import app
from runstore.services.export import export_store
from tests.transfer.dataset import fill
from tests.transfer.test_copy_matrix import EVERY_RECORD_TYPE

TABLES = {name.split(".")[1] for name in EVERY_RECORD_TYPE}
runner = CliRunner()


@pytest.fixture
def source(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'source.db'}"
    with runstore.open(url, inline_limit=1024) as store:
        fill(store)
    return url


def _counts(url: str) -> dict[str, int]:
    with runstore.open(url) as store:
        found = {}
        for name in EVERY_RECORD_TYPE:
            repository, record_type = name.split(".")
            if repository == "artifacts":
                found[record_type] = sum(1 for _ in store.artifacts.iter_refs())
            else:
                found[record_type] = getattr(store, repository).count_records(record_type)
        return found


def test_parquet_export_has_every_record_type_with_typed_columns(source: str,
                                                                 tmp_path: Path) -> None:
    with runstore.open(source) as store:
        # Three records per batch: columns null in one batch and set in the next
        # (an event's kind, a result's artifact) keep one type.
        written = export_store(store, tmp_path / "out", format="parquet", batch_size=3)
    assert written == _counts(source)
    assert set(written) == TABLES
    events = pq.read_table(tmp_path / "out" / "log_events.parquet")
    assert events.num_rows == written["log_events"]
    assert str(events.schema.field("kind").type) == "string"
    assert str(events.schema.field("ts").type) == "timestamp[us, tz=UTC]"
    assert str(events.schema.field("seq").type) == "int64"
    results = pq.read_table(tmp_path / "out" / "results.parquet").to_pylist()
    by_key = {row["key"]: row for row in results}
    assert by_key["r/bytes"]["value"] == b"\x00\xffraw bytes"
    assert by_key["r/large"]["value"] is None
    assert json.loads(by_key["r/large"]["artifact"])["size"] == 16384
    assert json.loads(by_key["r/failure"]["error"])["type"] == "KeyError"


def test_duckdb_export_is_ready_for_sql(source: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", source, "--to", str(tmp_path / "x.duckdb"),
                                 "--json"])
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.output)) == TABLES
    with duckdb.connect(str(tmp_path / "x.duckdb")) as conn:
        per_run = conn.execute("SELECT run_id, count(*), max(seq) FROM log_events "
                               "GROUP BY run_id HAVING count(*) > 1").fetchall()
        assert sorted((count, top) for _, count, top in per_run) == [(25, 25)] * 3
        assert conn.execute("SELECT sum(count) FROM metric_aggregates "
                            "WHERE bucket = 'all'").fetchone() == (12,)


def test_cli_copy_and_verify_cover_every_repository(source: str, tmp_path: Path) -> None:
    target = f"file://{tmp_path / 'copy'}"
    result = runner.invoke(app, ["copy", source, target, "--verify", "--batch-size", "4",
                                 "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report["written"]) == EVERY_RECORD_TYPE
    assert report["verification"]["identical"] is True
    assert _counts(target) == _counts(source)
    with runstore.open(target) as store:
        store.metrics.record_execution({"workflow_id": "wf-1", "workflow_version": 2,
                                        "run_id": "late", "success": False, "duration_s": 3.0})
    result = runner.invoke(app, ["verify", source, target, "--json"])
    assert result.exit_code == 1
    assert json.loads(result.output)["differences"] == [
        "metrics.metric_aggregates: 18 records in the source, 19 in the destination"]
