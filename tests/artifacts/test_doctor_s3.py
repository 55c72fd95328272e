"""runstore doctor on blobs in S3 (moto's server, not a mock): a flipped byte is found
and --repair moves the object under ``prefix/quarantine/``."""

from __future__ import annotations

from pathlib import Path

import runstore
from runstore.testing.blobs import damage_artifact


def test_flipped_byte_in_s3(tmp_path: Path, s3_location: str) -> None:
    import s3fs

    url = f"sqlite:///{tmp_path / 'runstore.db'}?artifacts={s3_location}"
    data = b"bytes kept in object storage"
    with runstore.open(url) as store:
        store.conversations.save_conversation({"id": "c1", "source": "agent"})
        attachment = store.conversations.attach("c1", data, name="a.txt",
                                                attachment_id="a1")
        damage_artifact(store, attachment.sha256, b"B" + data[1:])
    sha = attachment.sha256
    key = f"{sha[:2]}/{sha[2:4]}/{sha}"

    (finding,) = runstore.doctor(url).findings
    assert finding.location == f"{s3_location}/{key}"
    assert sha in finding.problem
    assert finding.lost == "bytes of attachment 'a1' of conversation 'c1'"

    (repaired,) = runstore.doctor(url, repair=True).findings
    assert repaired.action == f"moved to {s3_location}/quarantine/{key}"
    fs = s3fs.S3FileSystem(skip_instance_cache=True, use_listings_cache=False)
    assert fs.cat_file(f"{s3_location[5:]}/quarantine/{key}") == b"B" + data[1:]
    assert not fs.exists(f"{s3_location[5:]}/{key}")

    with runstore.open(url) as store:
        store.artifacts.put(data)  # the same bytes again restore the attachment's blob
    report = runstore.doctor(url)
    assert report.healthy
    assert report.blobs_checked == 1
