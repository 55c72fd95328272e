"""runstore doctor on blobs whose bytes no longer match their sha256 (a flipped byte), on
the files, SQLite and PostgreSQL backends: reported with the records that refer to them,
moved to quarantine by --repair, never deleted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import runstore
from runstore.cli.app import app
from runstore.errors import NotFound
from tests.lifecycle.conftest import make_run, url_for

runner = CliRunner()
BIG = bytes(range(256)) * 5000  # over the inline limit: the value lives in a blob


def _blob_folder(backend: str, tmp_path: Path) -> Path:
    """Where each backend keeps its blobs (for PostgreSQL, the ``artifacts`` option)."""
    return {"files": tmp_path / "source" / "artifacts",
            "sqlite": tmp_path / "source.db.artifacts",
            "postgres": tmp_path / "source-blobs"}[backend]


def _flip(path: Path, offset: int = 5) -> None:
    with open(path, "r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([byte[0] ^ 0xFF]))


@pytest.mark.parametrize("backend", ["files", "sqlite", "postgres"])
def test_flipped_blob_byte(backend: str, tmp_path: Path,
                           request: pytest.FixtureRequest) -> None:
    url = url_for(backend, tmp_path, request, "source")
    with runstore.open(url) as store:
        made = make_run(store, "wf")
        (attachment,) = store.conversations.get_attachments(made.conversation_id)
        stored = store.results.put_success("big", BIG, serializer="bytes")
        assert stored.artifact is not None
        store.results.put_success("big-too", BIG, serializer="bytes")  # the same blob
        loose = store.artifacts.put(b"nobody refers to these bytes")
    assert runstore.doctor(url).findings == []
    blobs = _blob_folder(backend, tmp_path)
    sha = made.attachment_sha256
    blob = blobs / sha[:2] / sha[2:4] / sha
    big = stored.artifact.sha256
    for path in (blob, blobs / big[:2] / big[2:4] / big,
                 blobs / loose.sha256[:2] / loose.sha256[2:4] / loose.sha256):
        _flip(path)

    report = runstore.doctor(url)
    assert report.blobs_checked == 3
    found = {f.location.rsplit("/", 1)[-1]: f for f in report.findings}
    assert set(found) == {sha, big, loose.sha256}
    assert sha in found[sha].problem
    assert found[sha].lost == (f"bytes of attachment {attachment.id!r} of "
                               f"conversation {made.conversation_id!r}")
    assert found[big].lost == "bytes of result 'big', result 'big-too'"
    assert found[loose.sha256].lost == "nothing: no result or attachment refers to it"
    assert blob.exists()  # a check alone changes nothing

    result = runner.invoke(app, ["doctor", url, "--repair", "--json"])
    assert result.exit_code == 1, result.output
    actions = {f["location"].rsplit("/", 1)[-1]: f["action"]
               for f in json.loads(result.output)["findings"]}
    quarantined = blobs / "quarantine" / sha[:2] / sha[2:4] / sha
    assert actions[sha] == f"moved to {quarantined}"
    assert not blob.exists()
    assert quarantined.exists()  # never deleted: the damaged bytes are kept

    # The records still refer to the blobs they lost: the store is not healthy yet.
    after = runstore.doctor(url)
    assert {f.location.rsplit("/", 1)[-1] for f in after.findings} == {sha, big}
    assert all("is missing" in f.problem for f in after.findings)
    assert all(f"in the quarantine of file://{blobs}" in f.problem for f in after.findings)
    with runstore.open(url) as store:
        record = store.results.get_record("big")
        assert record is not None
        with pytest.raises(NotFound):
            _ = record.value
        # Content addressing: putting the same bytes again restores what was lost.
        store.artifacts.put(BIG)
        store.artifacts.put(f"attachment of {made.run.id}".encode())
    assert runner.invoke(app, ["doctor", url]).exit_code == 0


def test_sqlite_blobs_are_checked_after_a_salvage(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    url = f"sqlite:///{path}"
    with runstore.open(url) as store:
        for n in range(200):
            store.workflows.store(f"wf-{n % 10}", {"n": n, "pad": "x" * 400})
        ref = store.artifacts.put(b"loose bytes")
    _flip(tmp_path / "store.db.artifacts" / ref.sha256[:2] / ref.sha256[2:4] / ref.sha256, 0)
    with open(path, "r+b") as handle:  # cut the last pages off the database file
        handle.truncate(path.stat().st_size - 3 * 4096)
    report = runstore.doctor(url, repair=True)
    assert report.blobs_checked == 1
    assert any(f.location.endswith(ref.sha256) and f.action.startswith("moved to")
               for f in report.findings)
    assert runstore.doctor(url).healthy
