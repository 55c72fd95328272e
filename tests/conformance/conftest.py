"""Server-backed conformance stores keep their blobs in the test's temporary folder
(a server database has no file to keep them beside)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def postgres_url(postgres_url: str, tmp_path: Path) -> str:
    return f"{postgres_url}?artifacts=file://{tmp_path / 'artifacts'}"


@pytest.fixture
def mariadb_url(mariadb_url: str, tmp_path: Path) -> str:
    return f"{mariadb_url}?artifacts=file://{tmp_path / 'artifacts'}"
