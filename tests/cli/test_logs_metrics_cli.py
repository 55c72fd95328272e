"""``runstore logs`` and ``runstore metrics`` commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

import runstore
from runstore.cli.app import app

runner = CliRunner()
T0 = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    with runstore.open(url) as store:
        for n, status in enumerate(["succeeded", "failed", "failed"]):
            run = f"run-{n}"
            store.logs.append(run, [{"message": "start"},
                                    {"message": "oops", "level": "error", "task_id": "load"}])
            store.logs.store_log({"run_id": run, "workflow_id": "etl", "workflow_version": 1,
                                  "status": status, "started_at": T0 + timedelta(minutes=n),
                                  "error": "boom" if status == "failed" else None})
            store.metrics.record_execution({"workflow_id": "etl", "workflow_version": 1,
                                            "run_id": run, "success": status == "succeeded",
                                            "duration_s": 1.0 + n, "finished_at": T0,
                                            "values": {"rows": 10.0}})
    return url


def test_logs_show_prints_record_and_events(url: str) -> None:
    result = runner.invoke(app, ["logs", "show", "run-1", "--url", url])
    assert result.exit_code == 0, result.output
    assert "failed" in result.output
    assert "oops" in result.output
    assert runner.invoke(app, ["logs", "show", "nope", "--url", url]).exit_code == 3


def test_logs_show_json(url: str) -> None:
    result = runner.invoke(app, ["logs", "show", "run-0", "--url", url, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [e["seq"] for e in data["events"]] == [1, 2]
    assert data["record"]["status"] == "succeeded"


def test_logs_query_filters_and_json(url: str) -> None:
    result = runner.invoke(app, ["logs", "query", "--url", url, "--workflow", "etl",
                                 "--status", "failed", "--json", "--limit", "1"])
    assert result.exit_code == 0, result.output
    page = json.loads(result.output)
    assert [r["run_id"] for r in page["items"]] == ["run-2"]
    follow = runner.invoke(app, ["logs", "query", "--url", url, "--workflow", "etl",
                                 "--status", "failed", "--json", "--cursor",
                                 page["next_cursor"]])
    assert [r["run_id"] for r in json.loads(follow.output)["items"]] == ["run-1"]
    table = runner.invoke(app, ["logs", "query", "--url", url, "--error", "BOOM"])
    assert table.exit_code == 0
    assert "run-2" in table.output
    bad = runner.invoke(app, ["logs", "query", "--url", url, "--level", "loud"])
    assert bad.exit_code == 1


def test_metrics_summary_table_and_histogram(url: str) -> None:
    result = runner.invoke(app, ["metrics", "summary", "etl", "--url", url])
    assert result.exit_code == 0, result.output
    assert "success rate" in result.output
    assert "33.3%" in result.output
    assert "duration histogram" in result.output
    assert "█" in result.output
    data = json.loads(runner.invoke(app, ["metrics", "summary", "etl", "--url", url,
                                          "--json"]).output)
    assert data["summary"]["count"] == 3
    assert data["summary"]["values"]["rows"]["sum"] == 30.0
    assert runner.invoke(app, ["metrics", "summary", "none", "--url", url]).exit_code == 3
