"""Core (models, ports, services) never imports a backend, the registry or the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "runstore"
CORE = ["models", "ports", "services"]
FORBIDDEN = ("runstore.backends", "runstore.cli", "runstore.registry")
ALLOWED = {"runstore.registry.url"}  # StoreURL is a plain value type


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("layer", CORE)
def test_core_does_not_import_backends(layer: str) -> None:
    offenders = {
        str(path.relative_to(SRC)): sorted(
            i for i in imports_of(path) if i.startswith(FORBIDDEN) and i not in ALLOWED)
        for path in (SRC / layer).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_importing_runstore_opens_nothing(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = ("import sys, runstore, runstore.testing, runstore.cli.app; "
            "print(any(m.startswith(('psycopg', 'pymysql', 'duckdb')) for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"
    assert not (tmp_path / ".runstore").exists()
