"""The conformance suite on every built-in backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from runstore.testing import StoreConformance


class TestMemory(StoreConformance):
    @pytest.fixture
    def store_url(self) -> str:
        return "memory://"


class TestFiles(StoreConformance):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"file://{tmp_path / 'store'}"


class TestSqlite(StoreConformance):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'runstore.db'}"


class TestDuckdb(StoreConformance):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"duckdb:///{tmp_path / 'runstore.duckdb'}"


class TestPostgres(StoreConformance):
    @pytest.fixture
    def store_url(self, postgres_url: str) -> str:
        return postgres_url


class TestMariadb(StoreConformance):
    @pytest.fixture
    def store_url(self, mariadb_url: str) -> str:
        return mariadb_url
